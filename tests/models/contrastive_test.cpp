// The SimCLR network on every architecture: recorded layers (backbone without
// its classifier, then head_contrastive/nl_0, nl_1), grouping, head shapes and
// inits, the classifier gone from the parameters, the backbone's initial
// weights equal to the supervised network's, and gradients reaching every
// layer under backprop, FA and IA through the NT-Xent loss.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "training/config.h"
#include "training/task.h"
#include "model_checks.h"
#include "models/model.h"
#include "rules/rule.h"

namespace lrid {
namespace {

using namespace model_checks;

struct Case {
  std::string arch;
  int64_t channels, size;
};
const std::vector<Case> kCases = {{"knet", 1, 28},      {"knetlrn", 3, 32},    {"knetc4", 3, 32},
                                  {"knetc4lrn", 1, 28}, {"resnet18", 3, 32},   {"resnet18v2", 3, 32},
                                  {"resnet34", 3, 32},  {"resnet34v2", 1, 32}, {"alexnet", 3, 67},
                                  {"alexnetlrn", 3, 67}};

Model simclr(const std::string& arch, int64_t channels, int64_t size, const LayerRule& rule = {}, int64_t p = 128) {
  ModelOptions o = options(arch, channels, size);
  o.projection_dim = p;
  o.rule = rule;
  return build_model(o);
}

TEST(Contrastive, RecordedLayersGroupingAndHeadShapes) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.arch);
    Model sup = build_model(options(c.arch, c.channels, c.size));
    Model m = simclr(c.arch, c.channels, c.size);
    const auto& sl = sup->layers();
    const auto& ml = m->layers();
    // science.md §2.4: n - 1 + 2 layers.
    ASSERT_EQ(ml.size(), sl.size() + 1);
    for (std::size_t i = 0; i + 1 < sl.size(); ++i) {
      EXPECT_EQ(ml[i].name, sl[i].name);
      EXPECT_EQ(ml[i].position, sl[i].position) << ml[i].name;  // the supervised grouping (§2.6)
    }
    const auto& nl0 = ml[ml.size() - 2];
    const auto& nl1 = ml.back();
    EXPECT_EQ(nl0.name, "head_contrastive/nl_0");
    EXPECT_EQ(nl1.name, "head_contrastive/nl_1");
    EXPECT_EQ(nl0.position, LayerPosition::kDeep);
    EXPECT_EQ(nl1.position, LayerPosition::kDeep);
    for (std::size_t i = 0; i < ml.size(); ++i) EXPECT_EQ(ml[i].index, static_cast<int64_t>(i));
    const int64_t d = m->feature_dim();
    EXPECT_EQ(nl0.layer->weight().sizes(), (std::vector<int64_t>{d, d}));
    EXPECT_EQ(nl1.layer->weight().sizes(), (std::vector<int64_t>{128, d}));
    EXPECT_FALSE(nl0.layer->bias().defined());
    EXPECT_FALSE(nl1.layer->bias().defined());
    EXPECT_NEAR(nl0.layer->weight().std().item<double>(), 0.01, 0.002);
    // The classifier is gone from the parameters; nl_1's BN has γ but no β.
    const std::string cls = sup->classifier_name();
    int64_t gamma = 0;
    for (const auto& p : m->named_parameters()) {
      EXPECT_EQ(p.key().find("backbone." + cls + "."), std::string::npos) << p.key();
      EXPECT_EQ(p.key().find("head_bn_1.bias"), std::string::npos);
      gamma += p.key() == "head_bn_1_gamma";
    }
    EXPECT_EQ(gamma, 1);
  }
}

TEST(Contrastive, BackboneStartsFromTheSupervisedWeights) {
  Model sup = build_model(options("knetc4", 3, 32, 5));
  ModelOptions o = options("knetc4", 3, 32, 5);
  o.projection_dim = 64;
  Model m = build_model(o);
  for (std::size_t i = 0; i + 1 < sup->layers().size(); ++i)
    EXPECT_TRUE(torch::equal(sup->layers()[i].layer->weight(), m->layers()[i].layer->weight()))
        << sup->layers()[i].name;
  // Forward: [N, P] projections; features as the backbone's.
  torch::Tensor x = images(4, 3, 32);
  m->eval();
  sup->eval();
  torch::NoGradGuard g;
  EXPECT_EQ(m->forward(x).sizes(), (std::vector<int64_t>{4, 64}));
  EXPECT_TRUE(torch::allclose(m->features(x), sup->features(x)));
}

TEST(Contrastive, EveryLayerLearnsUnderBackpropFaAndIa) {
  const auto rule = [](const std::string& r) {
    const Params p = parse_params(rule_registry().schema(r), YAML::Node(), ConfigSource{"test", {}}, "rule.parameters");
    return layer_rule(r, p);
  };
  for (const std::string r : {"sgdm", "fa", "ia"}) {
    // ResNet v2: v1's zero-initialised bn2 γ blocks every residual branch's gradient at init.
    for (const auto& arch : {"knet", "resnet18v2", "alexnet"}) {
      SCOPED_TRACE(r + " " + arch);
      const int64_t size = std::string(arch) == "alexnet" ? 67 : 32;
      Model m = simclr(arch, 3, size, rule(r), 32);
      m->train();
      torch::Tensor x = images(8, 3, size, 9);  // 4 images, two "views"
      NtXent loss = nt_xent(m->forward(x), 0.1);
      torch::Tensor total = loss.loss;
      torch::Tensor align = m->take_alignment_loss();
      if (align.defined()) total = total + align;
      total.backward();
      for (const auto& l : m->layers()) {
        ASSERT_TRUE(l.layer->weight().grad().defined()) << l.name;
        EXPECT_GT(l.layer->weight().grad().abs().sum().item<double>(), 0.0) << l.name;
        torch::Tensor b = l.layer->feedback();
        EXPECT_EQ(b.defined(), r != "sgdm") << l.name;
        if (r == "fa") {
          EXPECT_FALSE(b.requires_grad()) << l.name;
        }
        if (r == "ia") {
          ASSERT_TRUE(b.grad().defined()) << l.name;
          EXPECT_GT(b.grad().abs().sum().item<double>(), 0.0) << l.name;
        }
      }
    }
  }
}

}  // namespace
}  // namespace lrid

namespace lrid {
namespace {

TEST(Contrastive, CudaForwardAndNtXentMatchTheCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  Model cpu = simclr("knet", 3, 32);
  Model gpu = simclr("knet", 3, 32);
  gpu->to(torch::kCUDA);
  cpu->eval();
  gpu->eval();
  torch::NoGradGuard g;
  torch::Tensor x = model_checks::images(8, 3, 32);
  torch::Tensor a = cpu->forward(x), b = gpu->forward(x.to(torch::kCUDA)).cpu();
  EXPECT_TRUE(torch::allclose(a, b, 1e-4, 1e-5));
  EXPECT_NEAR(nt_xent(a, 0.1).loss.item<double>(), nt_xent(b.to(torch::kCUDA), 0.1).loss.item<double>(), 1e-4);
}

}  // namespace
}  // namespace lrid

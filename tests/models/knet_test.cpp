// Tests of models/knet: shapes, names and grouping, where each layer's act sits
// (conv1 before its ReLU, conv2+ after), inits, BN/LRN variants, gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "model_checks.h"
#include "models/model.h"

namespace lrid {
namespace {

using namespace model_checks;

const std::vector<std::string> kKNets = {"knet", "knetlrn", "knetc4", "knetc4lrn"};

TEST(KNet, OutputAndFeatureShapes) { expect_family_shapes(kKNets, "knet", "knetc4lrn"); }

TEST(KNet, FeatureDimFollowsTheGeometry) {
  // Every pool is 3/2 SAME: 32 -> 16 -> 8 -> 4 (-> 2 for C4); 28 -> 14 -> 7 -> 4 (-> 2).
  EXPECT_EQ(build_model(options("knet", 3, 32))->feature_dim(), 64 * 4 * 4);
  EXPECT_EQ(build_model(options("knetlrn", 1, 28))->feature_dim(), 64 * 4 * 4);
  EXPECT_EQ(build_model(options("knetc4", 3, 32))->feature_dim(), 128 * 2 * 2);
  EXPECT_EQ(build_model(options("knetc4lrn", 3, 64))->feature_dim(), 128 * 4 * 4);
}

TEST(KNet, LayerNamesAndGrouping) {
  for (const auto& arch : {"knet", "knetlrn"}) {
    Model m = build_model(options(arch, 3, 32));
    EXPECT_EQ(layer_names(*m), (std::vector<std::string>{"conv1", "conv2", "conv3", "fc4"}));
    EXPECT_EQ(group_counts(*m), (std::array<int, 3>{1, 1, 2}));
    EXPECT_EQ(m->classifier_name(), "fc4");
  }
  for (const auto& arch : {"knetc4", "knetc4lrn"}) {
    Model m = build_model(options(arch, 3, 32));
    EXPECT_EQ(layer_names(*m),
              (std::vector<std::string>{"conv1", "conv2", "conv3", "conv4", "fc5"}));
    EXPECT_EQ(group_counts(*m), (std::array<int, 3>{1, 1, 3}));
    EXPECT_EQ(m->classifier_name(), "fc5");
  }
}

TEST(KNet, InitsAndBatchNormOnlyInTheBnVariants) {
  Model m = build_model(options("knetc4", 3, 32));
  EXPECT_NEAR(layer(*m, "conv1").layer->weight().std().item<double>(), 1e-4, 1e-5);
  EXPECT_NEAR(layer(*m, "conv2").layer->weight().std().item<double>(), 0.01, 0.001);
  EXPECT_NEAR(layer(*m, "conv4").layer->weight().std().item<double>(), 0.01, 0.0005);
  EXPECT_NEAR(layer(*m, "fc5").layer->weight().std().item<double>(), 0.01, 0.001);
  for (const auto& l : m->layers()) {
    ASSERT_TRUE(l.layer->bias().defined()) << l.name;
    EXPECT_EQ(l.layer->bias().abs().sum().item<double>(), 0.0) << l.name;
    EXPECT_EQ(l.layer->activation(),
              (l.name == "conv1" || l.name == "fc5") ? Activation::kNone : Activation::kRelu);
  }
  int bns = 0;
  for (const auto& mod : m->named_modules())
    if (auto bn = mod.value()->as<torch::nn::BatchNorm2dImpl>()) {
      ++bns;
      EXPECT_DOUBLE_EQ(bn->options.momentum().value(), 0.1);
    }
  EXPECT_EQ(bns, 4);
  for (const auto& p : build_model(options("knetc4lrn", 3, 32))->named_parameters())
    EXPECT_EQ(p.key().find("bn"), std::string::npos) << p.key();
}

TEST(KNet, Conv1ActIsBeforeTheReluConv2AfterIt) {
  for (const auto& arch : kKNets) {
    SCOPED_TRACE(arch);
    Model m = build_model(options(arch, 3, 32));
    for (const auto& l : m->layers()) l.layer->set_capture(true);
    m->train();
    torch::NoGradGuard no_grad;
    const auto logits = m->forward(images(2, 3, 32));
    EXPECT_LT(layer(*m, "conv1").layer->last_output().min().item<double>(), 0.0);
    EXPECT_GE(layer(*m, "conv2").layer->last_output().min().item<double>(), 0.0);
    EXPECT_GE(layer(*m, "conv3").layer->last_output().min().item<double>(), 0.0);
    EXPECT_TRUE(torch::equal(m->layers().back().layer->last_output(), logits));
    EXPECT_EQ(layer(*m, "conv1").layer->last_input().size(2), 32);  // SAME: implicit padding
  }
}

TEST(KNet, SeedDeterminism) {
  expect_seed_determinism("knet", 3, 32);
  expect_seed_determinism("knetc4lrn", 1, 28);
}

TEST(KNet, GradientReachesEveryLayer) { expect_gradients_in_every_model(kKNets, 3, 32); }

}  // namespace
}  // namespace lrid

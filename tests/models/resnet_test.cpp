// Tests of models/resnet: shapes, recorded layer names/grouping (science.md §2.4,
// §2.6), v1 zero-γ, explicit padding of strided convs, determinism, gradient flow.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "model_checks.h"
#include "models/model.h"

namespace lrid {
namespace {

using namespace model_checks;

const std::vector<std::string> kResNets = {"resnet18", "resnet18v2", "resnet34", "resnet34v2"};

std::vector<std::string> expected_names(const std::vector<int>& blocks, const std::string& prefix) {
  std::vector<std::string> names = {"conv0"};
  for (size_t g = 0; g < blocks.size(); ++g)
    for (int b = 0; b < blocks[g]; ++b) {
      const std::string p = prefix + std::to_string(g + 1) + "_" + std::to_string(b) + "/";
      if (b == 0) names.push_back(p + "conv0");
      names.push_back(p + "conv1");
      names.push_back(p + "conv2");
    }
  names.push_back("dense");
  return names;
}

TEST(ResNet, OutputAndFeatureShapes) { expect_family_shapes(kResNets, "resnet18", "resnet18v2"); }

TEST(ResNet, LayerNamesCountsAndGrouping) {
  using C = std::array<int, 3>;
  struct Case {
    std::string arch;
    std::vector<int> blocks;
    std::string prefix;
    C groups;
  };
  for (const auto& c : {Case{"resnet18", {2, 2, 2, 2}, "block_group", C{7, 7, 8}},
                        Case{"resnet18v2", {2, 2, 2, 2}, "block_layer", C{7, 7, 8}},
                        Case{"resnet34", {3, 4, 6, 3}, "block_group", C{12, 12, 14}},
                        Case{"resnet34v2", {3, 4, 6, 3}, "block_layer", C{12, 12, 14}}}) {
    SCOPED_TRACE(c.arch);
    Model m = build_model(options(c.arch, 3, 32));
    EXPECT_EQ(layer_names(*m), expected_names(c.blocks, c.prefix));
    EXPECT_EQ(group_counts(*m), c.groups);
    EXPECT_EQ(m->feature_dim(), 512);
    EXPECT_EQ(m->classifier_name(), "dense");
    for (const auto& l : m->layers()) {
      EXPECT_EQ(l.layer->activation(), Activation::kNone) << l.name;
      EXPECT_EQ(l.layer->bias().defined(), l.name == "dense") << l.name;
      EXPECT_EQ(l.layer->is_conv(), l.name != "dense") << l.name;
    }
  }
  Model r18 = build_model(options("resnet18", 3, 32));
  const auto& ls = r18->layers();
  EXPECT_EQ(ls.size(), 22u);
  EXPECT_EQ(ls[0].name, "conv0");
  EXPECT_EQ(ls[1].name, "block_group1_0/conv0");
  EXPECT_EQ(ls[4].name, "block_group1_1/conv1");
  EXPECT_EQ(ls[6].name, "block_group2_0/conv0");
  EXPECT_EQ(ls[6].position, LayerPosition::kEarly);
  EXPECT_EQ(ls[7].position, LayerPosition::kMiddle);
  EXPECT_EQ(ls[14].position, LayerPosition::kDeep);
  EXPECT_EQ(ls[21].name, "dense");
  // Projection shortcuts are 1x1, including group 1's 64->64.
  EXPECT_EQ(ls[1].layer->weight().sizes(), (std::vector<int64_t>{64, 64, 1, 1}));
  EXPECT_EQ(ls[0].layer->weight().sizes(), (std::vector<int64_t>{64, 3, 7, 7}));
}

TEST(ResNet, V1ZeroGammaOnTheLastBatchNormOfEachBlock) {
  Model v1 = build_model(options("resnet18", 3, 32));
  int zeroed = 0;
  for (const auto& p : v1->named_parameters()) {
    const auto& k = p.key();
    if (k.find("bn") == std::string::npos || k.find(".weight") == std::string::npos) continue;
    const bool last_bn = k.find(".bn2.weight") != std::string::npos;
    EXPECT_EQ(p.value().abs().sum().item<double>() == 0.0, last_bn) << k;
    if (!last_bn) {
      EXPECT_TRUE(torch::equal(p.value(), torch::ones_like(p.value()))) << k;
    }
    zeroed += last_bn;
  }
  EXPECT_EQ(zeroed, 8);
  EXPECT_EQ(v1->named_parameters()["block_group1_0.bn2.weight"].abs().sum().item<double>(), 0.0);

  Model v2 = build_model(options("resnet18v2", 3, 32));
  for (const auto& p : v2->named_parameters())
    if (p.key().find("bn") != std::string::npos && p.key().find(".weight") != std::string::npos) {
      EXPECT_TRUE(torch::equal(p.value(), torch::ones_like(p.value()))) << p.key();
    }
}

TEST(ResNet, BatchNormMomentumDefaultsAndOverride) {
  auto momentum = [](const Model& m, const std::string& child) {
    for (const auto& mod : m->named_modules())
      if (mod.key() == child)
        return mod.value()->as<torch::nn::BatchNorm2dImpl>()->options.momentum().value();
    return -1.0;
  };
  EXPECT_DOUBLE_EQ(momentum(build_model(options("resnet18", 3, 32)), "bn0"), 0.1);
  EXPECT_DOUBLE_EQ(momentum(build_model(options("resnet18v2", 3, 32)), "bn_final"), 0.003);
  auto o = options("resnet18", 3, 32);
  o.bn_momentum = 0.2;
  EXPECT_DOUBLE_EQ(momentum(build_model(o), "block_group1_0.bn1"), 0.2);
}

TEST(ResNet, StridedConvInputsIncludeTheExplicitPadding) {
  // 32 -> stem 16 -> pool 8 -> groups at 8, 4, 2, 1.
  Model m = build_model(options("resnet18", 3, 32));
  forward_capturing(*m, 3, 32);
  auto in_size = [&](const std::string& n) { return layer(*m, n).layer->last_input().size(2); };
  auto out_size = [&](const std::string& n) { return layer(*m, n).layer->last_output().size(2); };
  EXPECT_EQ(in_size("conv0"), 38);  // 32 + 3 + 3
  EXPECT_EQ(out_size("conv0"), 16);
  EXPECT_EQ(in_size("block_group1_0/conv1"), 8);   // stride 1: SAME inside the op
  EXPECT_EQ(in_size("block_group2_0/conv1"), 10);  // stride 2: 8 + 1 + 1
  EXPECT_EQ(out_size("block_group2_0/conv1"), 4);
  EXPECT_EQ(in_size("block_group2_0/conv0"), 8);  // 1x1 stride 2: no padding
  EXPECT_EQ(out_size("block_group2_0/conv0"), 4);
  EXPECT_EQ(out_size("block_group4_1/conv2"), 1);
  // The padded border of the captured input is zero.
  const auto x0 = layer(*m, "conv0").layer->last_input();
  EXPECT_EQ(x0.narrow(2, 0, 3).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(x0.narrow(3, 35, 3).abs().sum().item<double>(), 0.0);
  // The dense layer's act is the logits.
  const auto logits = m->forward(images(2, 3, 32));
  EXPECT_TRUE(torch::equal(layer(*m, "dense").layer->last_output(), logits));
}

TEST(ResNet, SeedDeterminism) { expect_seed_determinism("resnet18", 3, 32); }

TEST(ResNet, GradientReachesEveryLayer) {
  expect_gradients_in_every_model({"resnet18v2", "resnet34v2"}, 3, 32);
  for (const auto& arch : {"resnet18", "resnet34"}) {
    SCOPED_TRACE(arch);
    Model m = build_model(options(arch, 1, 28));
    // At initialisation, the zero γ of bn2 blocks every residual branch exactly.
    m->train();
    m->forward(images(2, 1, 28)).sum().backward();
    for (const auto& l : m->layers()) {
      const bool branch =
          l.name.find("/conv1") != std::string::npos || l.name.find("/conv2") != std::string::npos;
      EXPECT_EQ(l.layer->weight().grad().abs().sum().item<double>() == 0.0, branch) << l.name;
    }
    // With γ = 1 every kernel receives gradient.
    {
      torch::NoGradGuard no_grad;
      for (auto& p : m->named_parameters())
        if (p.key().find(".bn2.weight") != std::string::npos) p.value().fill_(1.0);
    }
    expect_gradients_everywhere(*m, 1, 28);
  }
}

}  // namespace
}  // namespace lrid

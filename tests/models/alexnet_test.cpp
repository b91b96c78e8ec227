// Tests of models/alexnet: shapes at 28/32/64/224, names and grouping, inits,
// conv4's asymmetric padding, dropout only in training, determinism, gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "model_checks.h"
#include "models/model.h"

namespace lrid {
namespace {

using namespace model_checks;

TEST(AlexNet, ShapesAndFlattenedSizeFollowTheGeometry) {
  // conv1 VALID 11/4, then three 3/2 SAME pools: 11 -> 1 -> 1 -> 1 -> 1; 28 -> 5 -> 3 -> 2 -> 1;
  // 32 -> 6 -> 3 -> 2 -> 1; 64 -> 14 -> 7 -> 4 -> 2; 224 -> 54 -> 27 -> 14 -> 7.
  struct Case {
    const char* arch;
    int64_t channels, size, n, s5;
  };
  for (const auto& c :
       {Case{"alexnet", 1, 28, 2, 1}, Case{"alexnetlrn", 1, 28, 2, 1}, Case{"alexnet", 3, 32, 2, 1},
        Case{"alexnetlrn", 3, 32, 2, 1}, Case{"alexnet", 3, 64, 2, 2},
        Case{"alexnetlrn", 1, 11, 2, 1}, Case{"alexnet", 3, 224, 1, 7}}) {
    Model m = expect_shapes(c.arch, c.channels, c.size, c.n);
    EXPECT_EQ(layer(*m, "fc6").layer->weight().size(1), 256 * c.s5 * c.s5) << c.size;
  }
}

TEST(AlexNet, LayerNamesGroupingAndInits) {
  Model m = build_model(options("alexnetlrn", 3, 64));
  EXPECT_EQ(layer_names(*m), (std::vector<std::string>{"conv1", "conv2", "conv3", "conv4", "conv5",
                                                       "fc6", "fc7", "fc8"}));
  EXPECT_EQ(group_counts(*m), (std::array<int, 3>{2, 2, 4}));
  EXPECT_EQ(m->layers()[3].position, LayerPosition::kMiddle);
  EXPECT_EQ(m->layers()[4].position, LayerPosition::kDeep);
  EXPECT_EQ(m->classifier_name(), "fc8");
  EXPECT_EQ(m->feature_dim(), 4096);
  for (const auto& l : m->layers()) {
    EXPECT_EQ(l.layer->activation(), l.name == "fc8" ? Activation::kNone : Activation::kRelu);
    ASSERT_TRUE(l.layer->bias().defined()) << l.name;
    const double b = (l.name == "fc6" || l.name == "fc7") ? 0.1 : 0.0;
    EXPECT_TRUE(torch::equal(l.layer->bias(), torch::full_like(l.layer->bias(), b))) << l.name;
  }
  // Glorot uniform conv kernels: |w| <= sqrt(6 / (k²(C_in + C_out))).
  const auto& w3 = layer(*m, "conv3").layer->weight();
  EXPECT_LE(w3.abs().max().item<double>(), std::sqrt(6.0 / (9 * (256 + 384))));
  EXPECT_EQ(layer(*m, "conv4").layer->weight().sizes(), (std::vector<int64_t>{384, 384, 4, 4}));
  // Truncated normal(0.01) dense kernels: |w| <= 0.02.
  EXPECT_LE(layer(*m, "fc7").layer->weight().abs().max().item<double>(), 0.02);
  EXPECT_NEAR(layer(*m, "fc7").layer->weight().std().item<double>(), 0.0088, 0.0002);
}

TEST(AlexNet, Conv4UsesTfSamePaddingOneBeforeTwoAfter) {
  // 64: conv3-5 work at 4x4; conv4's input is padded to 7x7, its output stays 4x4.
  Model m = build_model(options("alexnet", 3, 64));
  forward_capturing(*m, 3, 64);
  const auto x4 = layer(*m, "conv4").layer->last_input();
  EXPECT_EQ(x4.sizes(), (std::vector<int64_t>{2, 384, 7, 7}));
  EXPECT_EQ(layer(*m, "conv4").layer->last_output().size(2), 4);
  EXPECT_EQ(x4.narrow(2, 0, 1).abs().sum().item<double>(), 0.0);  // 1 row before
  EXPECT_EQ(x4.narrow(2, 5, 2).abs().sum().item<double>(), 0.0);  // 2 rows after
  EXPECT_GT(x4.narrow(2, 1, 4).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(x4.narrow(3, 5, 2).abs().sum().item<double>(), 0.0);
  // Acts are after the ReLU; conv1 takes the raw 64x64 image (VALID).
  EXPECT_GE(layer(*m, "conv1").layer->last_output().min().item<double>(), 0.0);
  EXPECT_EQ(layer(*m, "conv1").layer->last_input().size(2), 64);
  EXPECT_EQ(layer(*m, "conv1").layer->last_output().size(2), 14);
}

TEST(AlexNet, DropoutOnlyInTraining) {
  auto o = options("alexnet", 3, 32);
  o.dropout = 0.5;
  Model m = build_model(o);
  const auto x = images(2, 3, 32);
  torch::NoGradGuard no_grad;
  m->eval();
  EXPECT_TRUE(torch::equal(m->features(x), m->features(x)));
  m->train();
  const auto f = m->features(x);
  EXPECT_FALSE(torch::equal(f, m->features(x)));
  // Inverted dropout zeroes about half of fc7's (positive, bias 0.1) outputs.
  const double zero_frac = (f == 0).to(torch::kDouble).mean().item<double>();
  EXPECT_GT(zero_frac, 0.4);
  EXPECT_LT(zero_frac, 0.6);
}

TEST(AlexNet, SeedDeterminism) { expect_seed_determinism("alexnetlrn", 1, 28); }

TEST(AlexNet, GradientReachesEveryLayer) { expect_gradients_in_every_model({"alexnet", "alexnetlrn"}, 3, 32); }

}  // namespace
}  // namespace lrid

// Tests of models/layers: initialisers, TF-SAME padding, the recordable conv and
// dense layers (explicit padding, bias, activation, capture) and layer grouping.
#include "models/layers.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <tuple>

namespace lrid {
namespace {

constexpr double kTruncFactor = 0.87962566103423978;  // std of N(0,1) truncated to ±2

torch::Generator make_gen(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

torch::Tensor draw(const Init& init, int64_t fan_in, int64_t fan_out, uint64_t seed = 1,
                   int64_t n = 1000000) {
  auto gen = make_gen(seed);
  auto w = torch::full({n}, 123.0);  // overwritten entirely
  init_tensor(w, init, fan_in, fan_out, gen);
  return w;
}

TEST(InitTensor, VarianceScalingIsTruncatedWithUnitFanInVariance) {
  const int64_t fan_in = 64;
  const double target = std::sqrt(1.0 / fan_in), raw = target / kTruncFactor;
  const auto w = draw(Init::variance_scaling(), fan_in, 7);
  EXPECT_LE(w.abs().max().item<double>(), 2 * raw * (1 + 1e-6));
  EXPECT_GT(w.abs().max().item<double>(), 1.95 * raw);  // the tails are populated
  EXPECT_NEAR(w.std().item<double>(), target, 0.01 * target);
  EXPECT_NEAR(w.mean().item<double>(), 0.0, 0.01 * target);
}

TEST(InitTensor, GlorotUniformLimit) {
  const double limit = std::sqrt(6.0 / (30 + 70));
  const auto w = draw(Init::glorot_uniform(), 30, 70);
  EXPECT_LE(w.max().item<double>(), limit);
  EXPECT_GE(w.min().item<double>(), -limit);
  EXPECT_GT(w.max().item<double>(), 0.99 * limit);
  EXPECT_NEAR(w.std().item<double>(), limit / std::sqrt(3.0), 0.01 * limit);
  EXPECT_NEAR(w.mean().item<double>(), 0.0, 0.01 * limit);
}

TEST(InitTensor, TruncatedNormalHasNoRescaling) {
  const double s = 0.5;
  const auto w = draw(Init::truncated_normal(s), 1, 1);
  EXPECT_LE(w.abs().max().item<double>(), 2 * s * (1 + 1e-6));
  EXPECT_GT(w.abs().max().item<double>(), 1.95 * s);
  EXPECT_NEAR(w.std().item<double>(), kTruncFactor * s, 0.01 * s);
  // A non-contiguous target (a transposed view) is filled in place too.
  auto base = torch::zeros({400, 300});
  auto view = base.t();
  auto gen = make_gen(3);
  init_tensor(view, Init::truncated_normal(s), 1, 1, gen);
  EXPECT_LE(base.abs().max().item<double>(), 2 * s * (1 + 1e-6));
  EXPECT_NEAR(base.std().item<double>(), kTruncFactor * s, 0.03 * s);
}

TEST(InitTensor, NormalAndZeros) {
  const double s = 0.5;
  const auto w = draw(Init::normal(s), 1, 1);
  EXPECT_NEAR(w.std().item<double>(), s, 0.01 * s);
  EXPECT_NEAR(w.mean().item<double>(), 0.0, 0.01 * s);
  const double beyond = (w.abs() > 2 * s).to(torch::kDouble).mean().item<double>();
  EXPECT_NEAR(beyond, 0.0455, 0.003);  // untruncated tails: P(|z| > 2)
  const auto z = draw(Init::zeros(), 1, 1, 1, 100);
  EXPECT_EQ(z.abs().max().item<double>(), 0.0);
}

TEST(InitTensor, DeterministicForASeed) {
  for (const Init& init : {Init::variance_scaling(), Init::glorot_uniform(),
                           Init::truncated_normal(0.1), Init::normal(0.1)}) {
    EXPECT_TRUE(torch::equal(draw(init, 9, 9, 7, 5000), draw(init, 9, 9, 7, 5000)));
    EXPECT_FALSE(torch::equal(draw(init, 9, 9, 7, 5000), draw(init, 9, 9, 8, 5000)));
  }
  // Consecutive draws from one generator differ (the stream advances).
  auto gen = make_gen(7);
  auto a = torch::empty({100}), b = torch::empty({100});
  init_tensor(a, Init::variance_scaling(), 9, 9, gen);
  init_tensor(b, Init::variance_scaling(), 9, 9, gen);
  EXPECT_FALSE(torch::equal(a, b));
}

TEST(InitTensor, ConvFanInIsKernelAreaTimesInputChannels) {
  auto gen = make_gen(2);
  ConvLayer conv("c", ConvLayerOptions(64, 64, 3), gen);  // fan_in 576
  const double target = std::sqrt(1.0 / 576);
  EXPECT_NEAR(conv->weight().std().item<double>(), target, 0.05 * target);
  EXPECT_EQ(conv->weight().sizes(), (std::vector<int64_t>{64, 64, 3, 3}));
}

TEST(TfSamePadding, MatchesTensorFlow) {
  using P = std::array<int64_t, 2>;
  EXPECT_EQ(tf_same_padding(4, 4, 1), (P{1, 2}));
  EXPECT_EQ(tf_same_padding(28, 3, 2), (P{0, 1}));
  EXPECT_EQ(tf_same_padding(32, 3, 2), (P{0, 1}));
  EXPECT_EQ(tf_same_padding(5, 3, 2), (P{1, 1}));
  EXPECT_EQ(tf_same_padding(224, 7, 2), (P{2, 3}));
  EXPECT_EQ(tf_same_padding(7, 1, 2), (P{0, 0}));
  EXPECT_EQ(tf_same_padding(32, 5, 1), (P{2, 2}));
  EXPECT_EQ(tf_same_padding(10, 3, 1, 2), (P{2, 2}));  // dilated: effective kernel 5
}

TEST(PositionName, Names) {
  EXPECT_STREQ(position_name(LayerPosition::kEarly), "early");
  EXPECT_STREQ(position_name(LayerPosition::kMiddle), "middle");
  EXPECT_STREQ(position_name(LayerPosition::kDeep), "deep");
}

TEST(ConvLayer, ExplicitPaddingEqualsConvOnManuallyPaddedInput) {
  LayerFactory f(3);
  auto conv = f.conv("c", ConvLayerOptions(2, 4, 3)
                              .stride(2)
                              .explicit_padding(Padding4{1, 2, 0, 1})  // l, r, t, b
                              .bias(true)
                              .bias_init(0.25));
  auto names = conv->named_parameters().keys();
  EXPECT_EQ(names, (std::vector<std::string>{"weight", "bias"}));
  EXPECT_TRUE(torch::equal(conv->bias(), torch::full({4}, 0.25)));

  const auto x = torch::randn({2, 2, 7, 6});
  auto manual = torch::zeros({2, 2, 8, 9});
  manual.slice(2, 0, 7).slice(3, 1, 7).copy_(x);
  const auto expected = torch::conv2d(manual, conv->weight(), conv->bias(), 2);

  conv->set_capture(true);
  const auto y = conv(x);
  EXPECT_TRUE(torch::allclose(y, expected, 1e-5, 1e-6));
  // The captured input is the padded tensor; the captured output is y.
  EXPECT_TRUE(torch::equal(conv->last_input(), manual));
  EXPECT_TRUE(torch::equal(conv->last_output(), y));
  conv->set_capture(false);
  EXPECT_FALSE(conv->last_input().defined());
  EXPECT_FALSE(conv->last_output().defined());
}

TEST(ConvLayer, ImplicitPaddingAndReluActivation) {
  LayerFactory f(4);
  auto conv = f.conv("c", ConvLayerOptions(3, 5, 5).padding(2).activation(Activation::kRelu));
  EXPECT_FALSE(conv->bias().defined());
  EXPECT_EQ(conv->named_parameters().size(), 1u);
  const auto x = torch::randn({2, 3, 6, 6});
  conv->set_capture(true);
  const auto y = conv(x);
  EXPECT_TRUE(
      torch::allclose(y, torch::relu(torch::conv2d(x, conv->weight(), {}, 1, 2)), 1e-5, 1e-6));
  EXPECT_TRUE(torch::equal(conv->last_input(), x));  // implicit padding is not part of x
  EXPECT_GE(y.min().item<double>(), 0.0);
  EXPECT_LT(torch::conv2d(x, conv->weight(), {}, 1, 2).min().item<double>(), 0.0);
}

TEST(DenseLayer, FlattensAndComputesXWtPlusB) {
  LayerFactory f(5);
  auto dense = f.dense("d", DenseLayerOptions(10, 4).bias_init(0.1));
  EXPECT_EQ(dense->weight().sizes(), (std::vector<int64_t>{4, 10}));
  EXPECT_TRUE(torch::equal(dense->bias(), torch::full({4}, 0.1)));
  const auto x = torch::randn({3, 2, 5});
  dense->set_capture(true);
  const auto y = dense(x);
  const auto x2 = x.reshape({3, 10});
  EXPECT_TRUE(torch::allclose(y, x2.matmul(dense->weight().t()) + dense->bias(), 1e-5, 1e-6));
  EXPECT_TRUE(torch::equal(dense->last_input(), x2));

  auto relu = f.dense("r", DenseLayerOptions(10, 4).bias(false).activation(Activation::kRelu));
  EXPECT_FALSE(relu->bias().defined());
  EXPECT_TRUE(torch::allclose(relu(x2), torch::relu(x2.matmul(relu->weight().t()))));
  EXPECT_THROW(dense(torch::randn({3, 7})), c10::Error);
}

std::array<int, 3> counts(const std::vector<LayerInfo>& list) {
  std::array<int, 3> c{0, 0, 0};
  for (const auto& l : list) ++c[static_cast<int>(l.position)];
  return c;
}

LayerFactory factory_with(int n) {
  LayerFactory f(0);
  for (int i = 0; i < n; ++i) f.dense("l" + std::to_string(i), DenseLayerOptions(2, 2));
  return f;
}

TEST(LayerFactory, FloorThirdGrouping) {
  using C = std::array<int, 3>;
  EXPECT_EQ(counts(factory_with(22).layer_list()), (C{7, 7, 8}));
  EXPECT_EQ(counts(factory_with(38).layer_list()), (C{12, 12, 14}));
  EXPECT_EQ(counts(factory_with(8).layer_list()), (C{2, 2, 4}));
  EXPECT_EQ(counts(factory_with(4).layer_list()), (C{1, 1, 2}));
  EXPECT_EQ(counts(factory_with(5).layer_list()), (C{1, 1, 3}));

  const auto list = factory_with(8).layer_list();
  for (size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i].index, static_cast<int64_t>(i));
    EXPECT_EQ(list[i].name, "l" + std::to_string(i));
    EXPECT_EQ(list[i].layer->layer_name(), list[i].name);
  }
  EXPECT_EQ(list[1].position, LayerPosition::kEarly);
  EXPECT_EQ(list[2].position, LayerPosition::kMiddle);
  EXPECT_EQ(list[4].position, LayerPosition::kDeep);
}

TEST(LayerFactory, LayersBeyondTheGroupingAreDeep) {
  // A 22-layer backbone whose classifier is replaced by 2 head layers: grouping
  // over the first 22 (7/7/8), the extra 2 deep.
  const auto list = factory_with(24).layer_list(22);
  EXPECT_EQ(counts(list), (std::array<int, 3>{7, 7, 10}));
  EXPECT_EQ(list[6].position, LayerPosition::kEarly);
  EXPECT_EQ(list[13].position, LayerPosition::kMiddle);
  EXPECT_EQ(list[14].position, LayerPosition::kDeep);
  EXPECT_THROW(factory_with(3).layer_list(4), c10::Error);
}

TEST(LayerFactory, SameSeedSameWeightsAndUniqueNames) {
  LayerFactory a(11), b(11), c(12);
  auto wa = a.conv("x", ConvLayerOptions(3, 4, 3))->weight();
  auto wb = b.conv("x", ConvLayerOptions(3, 4, 3))->weight();
  auto wc = c.conv("x", ConvLayerOptions(3, 4, 3))->weight();
  EXPECT_TRUE(torch::equal(wa, wb));
  EXPECT_FALSE(torch::equal(wa, wc));
  EXPECT_THROW(a.dense("x", DenseLayerOptions(2, 2)), c10::Error);
}

TEST(ConvLayer, ChannelsLastGivesTheSameOutputAndGradients) {
  // The bias of a channels-last layer goes through its own reduction (layers.cpp).
  auto run = [](bool last) {
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(5);
    ConvLayer conv("c", ConvLayerOptions(3, 6, 3).padding(1).bias(true).bias_init(0.1), gen);
    torch::manual_seed(6);
    torch::Tensor x = torch::randn({4, 3, 8, 8}), g = torch::randn({4, 6, 8, 8});
    if (last) {
      conv->weight().set_data(conv->weight().data().contiguous(torch::MemoryFormat::ChannelsLast));
      x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    }
    x.requires_grad_(true);
    torch::Tensor y = conv->forward(x);
    (y * g).sum().backward();
    return std::make_tuple(y, x.grad(), conv->weight().grad(), conv->bias().grad());
  };
  const auto [y0, gx0, gw0, gb0] = run(false);
  const auto [y1, gx1, gw1, gb1] = run(true);
  EXPECT_TRUE(y1.is_contiguous(torch::MemoryFormat::ChannelsLast) && !y1.is_contiguous());
  EXPECT_TRUE(torch::allclose(y1, y0, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(gx1, gx0, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(gw1, gw0, 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(gb1, gb0, 1e-4, 1e-4));
}

}  // namespace
}  // namespace lrid

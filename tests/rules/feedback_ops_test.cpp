// Alignment ops: FA equals backprop when B = W (dense and conv, many
// geometries), uses B otherwise, gives W its true gradient, B none (or W's
// under tie_grad), the spec's hand example (§7), and the angle probe.
#include "rules/feedback_ops.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <optional>

#include "test_tensors.h"

namespace lrid {
namespace {

using test::kDouble;
using test::rel_err;

struct Grads {
  torch::Tensor x, w, bias;  // bias: the fused bias's gradient (undefined without one)
};

// Gradients of <y, g> for y = x W^T (+ bias0, fused into the op when given).
Grads dense_grads(const torch::Tensor& x0, const torch::Tensor& w0, const torch::Tensor& b0, const torch::Tensor& g,
                  bool use_feedback, const torch::Tensor& bias0 = {}) {
  torch::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
  torch::Tensor bias = bias0.defined() ? bias0.clone().requires_grad_(true) : bias0;
  torch::Tensor y = use_feedback ? feedback_linear(x, w, b0, false, nullptr, bias) : torch::linear(x, w, bias);
  (y * g).sum().backward();
  return {x.grad(), w.grad(), bias.defined() ? bias.grad() : bias};
}

TEST(FeedbackLinear, EqualsBackpropWhenBEqualsW) {
  torch::manual_seed(0);
  torch::Tensor x = torch::randn({5, 7}, kDouble), w = torch::randn({3, 7}, kDouble), g = torch::randn({5, 3}, kDouble);
  Grads bp = dense_grads(x, w, w, g, false), fa = dense_grads(x, w, w.clone(), g, true);
  EXPECT_LE(rel_err(fa.x, bp.x), 1e-12);
  EXPECT_LE(rel_err(fa.w, bp.w), 1e-12);
  // With the bias fused into the op: the same output and the exact bias gradient (g summed over the batch).
  const torch::Tensor bias = torch::randn({3}, kDouble);
  Grads bpb = dense_grads(x, w, w, g, false, bias), fab = dense_grads(x, w, w.clone(), g, true, bias);
  EXPECT_LE(rel_err(fab.x, bpb.x), 1e-12);
  EXPECT_LE(rel_err(fab.bias, g.sum(0)), 1e-12);
  EXPECT_LE(rel_err(feedback_linear(x, w, w, false, nullptr, bias), torch::linear(x, w, bias)), 1e-12);
}

TEST(FeedbackLinear, SendsErrorThroughBAndGivesWItsLocalGradient) {
  torch::manual_seed(1);
  torch::Tensor x = torch::randn({4, 6}, kDouble), w = torch::randn({3, 6}, kDouble), g = torch::randn({4, 3}, kDouble);
  torch::Tensor b = torch::randn({3, 6}, kDouble), b2 = torch::randn({3, 6}, kDouble);
  Grads fa = dense_grads(x, w, b, g, true), fa2 = dense_grads(x, w, b2, g, true);
  EXPECT_TRUE(torch::equal(fa.x, torch::mm(g, b)));       // dx = g B exactly
  EXPECT_TRUE(torch::allclose(fa.w, torch::mm(g.t(), x), 0, 1e-14));
  EXPECT_TRUE(torch::equal(fa.w, fa2.w));                  // dW does not depend on B
  // B receives no gradient from the task loss, even when it requires one.
  torch::Tensor bt = b.clone().requires_grad_(true);
  torch::Tensor wt = w.clone().requires_grad_(true);
  (feedback_linear(x, wt, bt, false) * g).sum().backward();
  EXPECT_FALSE(bt.grad().defined());
}

TEST(FeedbackLinear, TieGradGivesBTheWeightGradient) {
  torch::manual_seed(2);
  torch::Tensor x = torch::randn({4, 6}, kDouble), g = torch::randn({4, 3}, kDouble);
  torch::Tensor w = torch::randn({3, 6}, kDouble).requires_grad_(true);
  torch::Tensor b = torch::randn({3, 6}, kDouble).requires_grad_(true);
  (feedback_linear(x, w, b, true) * g).sum().backward();
  EXPECT_TRUE(torch::equal(b.grad(), w.grad()));
}

TEST(FeedbackLinear, SpecHandExample) {
  // learning-rules.md §7: x = [1, 2], W = [[1, -1]], B = [[0.5, 0.25]], g = [3].
  torch::Tensor x = torch::tensor({{1.0, 2.0}}, kDouble).requires_grad_(true);
  torch::Tensor w = torch::tensor({{1.0, -1.0}}, kDouble).requires_grad_(true);
  torch::Tensor bias = torch::zeros({1}, kDouble).requires_grad_(true);
  torch::Tensor b = torch::tensor({{0.5, 0.25}}, kDouble);
  torch::Tensor y = feedback_linear(x, w, b, false, nullptr, bias);  // bias fused into the op
  (y * 3.0).sum().backward();
  EXPECT_TRUE(torch::equal(x.grad(), torch::tensor({{1.5, 0.75}}, kDouble)));
  EXPECT_TRUE(torch::equal(w.grad(), torch::tensor({{3.0, 6.0}}, kDouble)));
  EXPECT_DOUBLE_EQ(bias.grad().item<double>(), 3.0);
}

struct OpConvCase {
  const char* name;
  int64_t size_h, size_w, stride, padding, dilation, groups, kernel;
};

class FeedbackConv : public ::testing::TestWithParam<OpConvCase> {};

Grads conv_grads(const torch::Tensor& x0, const torch::Tensor& w0, const torch::Tensor& b0, const torch::Tensor& g,
                 const ConvGeometry& geo, bool use_feedback, const torch::Tensor& bias0 = {}) {
  torch::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
  torch::Tensor bias = bias0.defined() ? bias0.clone().requires_grad_(true) : bias0;
  torch::Tensor y = use_feedback ? feedback_conv2d(x, w, b0, geo, false, nullptr, bias)
                                 : torch::conv2d(x, w, bias, geo.stride, geo.padding, geo.dilation, geo.groups);
  (y * g).sum().backward();
  return {x.grad(), w.grad(), bias.defined() ? bias.grad() : bias};
}

TEST_P(FeedbackConv, EqualsBackpropWhenBEqualsWAndUsesBOtherwise) {
  const OpConvCase& c = GetParam();
  torch::manual_seed(3);
  const ConvGeometry geo{{c.stride, c.stride}, {c.padding, c.padding}, {c.dilation, c.dilation}, c.groups};
  torch::Tensor x = torch::randn({2, 4, c.size_h, c.size_w}, kDouble);
  torch::Tensor w = torch::randn({6, 4 / c.groups, c.kernel, c.kernel}, kDouble);
  torch::Tensor y = torch::conv2d(x, w, {}, geo.stride, geo.padding, geo.dilation, geo.groups);
  torch::Tensor g = torch::randn(y.sizes(), kDouble);
  Grads bp = conv_grads(x, w, w, g, geo, false), fa = conv_grads(x, w, w.clone(), g, geo, true);
  EXPECT_LE(rel_err(fa.x, bp.x), 1e-12) << c.name;
  EXPECT_LE(rel_err(fa.w, bp.w), 1e-12) << c.name;
  // With a different B: dx is the input-gradient of <conv(x, B), g>, dW unchanged.
  torch::Tensor b = torch::randn(w.sizes(), kDouble);
  Grads fb = conv_grads(x, w, b, g, geo, true);
  torch::Tensor xr = x.clone().requires_grad_(true);
  (torch::conv2d(xr, b, {}, geo.stride, geo.padding, geo.dilation, geo.groups) * g).sum().backward();
  EXPECT_LE(rel_err(fb.x, xr.grad()), 1e-12) << c.name;
  EXPECT_LE(rel_err(fb.w, bp.w), 1e-12) << c.name;
  // The bias fused into the op: the bias gradient is g summed over N, H, W, whatever B is.
  const torch::Tensor bias = torch::randn({6}, kDouble);
  Grads fbias = conv_grads(x, w, b, g, geo, true, bias);
  EXPECT_LE(rel_err(fbias.bias, g.sum({0, 2, 3})), 1e-12) << c.name;
  EXPECT_LE(rel_err(fbias.x, fb.x), 1e-12) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Geometries, FeedbackConv,
    ::testing::Values(OpConvCase{"s1_p0_odd", 7, 7, 1, 0, 1, 1, 3}, OpConvCase{"s1_p1_even", 8, 8, 1, 1, 1, 1, 3},
                      OpConvCase{"s2_p1_even", 8, 8, 2, 1, 1, 1, 3}, OpConvCase{"s2_p1_odd", 9, 7, 2, 1, 1, 1, 3},
                      OpConvCase{"s2_p0_1x1", 8, 8, 2, 0, 1, 1, 1}, OpConvCase{"dilation2", 9, 9, 1, 2, 2, 1, 3},
                      OpConvCase{"groups2", 8, 8, 1, 1, 1, 2, 3}, OpConvCase{"s3_k5_p2", 11, 10, 3, 2, 1, 1, 5},
                      OpConvCase{"even_kernel4", 8, 8, 1, 0, 1, 1, 4}),
    [](const ::testing::TestParamInfo<OpConvCase>& info) { return std::string(info.param.name); });

TEST(FeedbackConv2d, TieGradAndNoTaskGradientForB) {
  torch::manual_seed(4);
  const ConvGeometry geo{{2, 2}, {1, 1}, {1, 1}, 1};
  torch::Tensor x = torch::randn({2, 3, 8, 8}, kDouble);
  for (bool tie : {false, true}) {
    torch::Tensor w = torch::randn({4, 3, 3, 3}, kDouble).requires_grad_(true);
    torch::Tensor b = torch::randn({4, 3, 3, 3}, kDouble).requires_grad_(true);
    feedback_conv2d(x, w, b, geo, tie).pow(2).sum().backward();
    if (tie) EXPECT_TRUE(torch::equal(b.grad(), w.grad()));
    else EXPECT_FALSE(b.grad().defined());
  }
}

TEST(AlignmentProbe, AnglesAreZeroWhenBEqualsWAndPositiveOtherwise) {
  torch::manual_seed(5);
  const ConvGeometry geo{{1, 1}, {1, 1}, {1, 1}, 1};
  torch::Tensor x = torch::randn({2, 3, 6, 6}, kDouble).requires_grad_(true);
  torch::Tensor w = torch::randn({4, 3, 3, 3}, kDouble);
  for (bool same : {true, false}) {
    AlignmentProbe probe{true};
    torch::Tensor b = same ? w.clone() : torch::randn(w.sizes(), kDouble);
    feedback_conv2d(x, w, b, geo, false, &probe).pow(2).sum().backward();
    ASSERT_TRUE(probe.filled);
    if (same) {
      EXPECT_NEAR(probe.weight_angle, 0.0, 1e-5);
      EXPECT_NEAR(probe.gradient_angle, 0.0, 1e-5);
    } else {
      EXPECT_GT(probe.weight_angle, 45.0);  // independent random kernels: near 90 degrees
      EXPECT_GT(probe.gradient_angle, 10.0);
    }
  }
  EXPECT_NEAR(angle_degrees(torch::tensor({1.0, 0.0}), torch::tensor({0.0, 2.0})), 90.0, 1e-12);
}

struct ConvResult {
  torch::Tensor y, gx, gw, gb, gbias;
};

// FA (or KP with tie) conv forward and backward, with a fused fp32 bias
// (C_out = 5); x, W, B and g in the layout given.
ConvResult feedback_conv_pass(const torch::Tensor& x0, const torch::Tensor& w0, const torch::Tensor& b0,
                              const torch::Tensor& g, bool tie, bool bf16 = false) {
  torch::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
  torch::Tensor b = b0.clone().requires_grad_(tie);
  torch::Tensor bias = torch::linspace(-1, 1, 5).requires_grad_(true);
  ConvGeometry geo;
  geo.padding = {1, 1};
  torch::Tensor y;
  {
    std::optional<test::CpuBf16Autocast> autocast;
    if (bf16) autocast.emplace();
    y = feedback_conv2d(x, w, b, geo, tie, nullptr, bias);
  }
  (y.to(torch::kFloat) * g).sum().backward();  // backward outside autocast, as the trainer does
  return {y, x.grad(), w.grad(), tie ? b.grad() : torch::Tensor(), bias.grad()};
}

TEST(FeedbackConv2d, ChannelsLastInChannelsLastOutWithTheSameValues) {
  torch::manual_seed(7);
  const auto cl = torch::MemoryFormat::ChannelsLast;
  torch::Tensor x = torch::randn({4, 3, 9, 9}), w = torch::randn({5, 3, 3, 3}), b = torch::randn({5, 3, 3, 3});
  torch::Tensor g = torch::randn({4, 5, 9, 9});
  const ConvResult nchw = feedback_conv_pass(x, w, b, g, true);
  const ConvResult last = feedback_conv_pass(x.contiguous(cl), w.contiguous(cl), b.contiguous(cl), g.contiguous(cl), true);
  EXPECT_TRUE(test::channels_last(last.y));
  EXPECT_TRUE(test::channels_last(last.gx));
  EXPECT_TRUE(test::channels_last(last.gw));
  EXPECT_LE(rel_err(last.y, nchw.y), 1e-5);
  EXPECT_LE(rel_err(last.gx, nchw.gx), 1e-5);
  EXPECT_LE(rel_err(last.gw, nchw.gw), 1e-5);
  EXPECT_LE(rel_err(last.gb, nchw.gb), 1e-5);
  EXPECT_LE(rel_err(last.gbias, nchw.gbias), 1e-5);
}

TEST(FeedbackConv2d, Bf16AutocastComputesInBf16AndGivesFp32MastersTheirGradients) {
  torch::manual_seed(8);
  torch::Tensor x = torch::randn({4, 3, 9, 9}), w = torch::randn({5, 3, 3, 3}), b = torch::randn({5, 3, 3, 3});
  torch::Tensor g = torch::randn({4, 5, 9, 9});
  const ConvResult fp32 = feedback_conv_pass(x, w, b, g, true);
  const ConvResult bf16 = feedback_conv_pass(x, w, b, g, true, true);
  EXPECT_EQ(bf16.y.scalar_type(), torch::kBFloat16);
  EXPECT_EQ(bf16.gw.scalar_type(), torch::kFloat);  // W's master gradient
  EXPECT_EQ(bf16.gb.scalar_type(), torch::kFloat);  // B's (Kolen-Pollack)
  EXPECT_EQ(bf16.gbias.scalar_type(), torch::kFloat);  // the fused bias's
  EXPECT_EQ(bf16.gx.scalar_type(), torch::kFloat);  // x was fp32
  // bf16 keeps 8 significant bits: about 0.4% per element, less in norm.
  EXPECT_LE(rel_err(bf16.y.to(torch::kFloat), fp32.y), 1e-2);
  EXPECT_LE(rel_err(bf16.gx, fp32.gx), 2e-2);
  EXPECT_LE(rel_err(bf16.gw, fp32.gw), 2e-2);
  EXPECT_LE(rel_err(bf16.gbias, fp32.gbias), 2e-2);
  EXPECT_GT(rel_err(bf16.gw, fp32.gw), 0.0);  // it did run in bf16
}

TEST(FeedbackLinear, Bf16AutocastComputesInBf16AndGivesWAnFp32Gradient) {
  torch::manual_seed(9);
  torch::Tensor x = torch::randn({6, 10}).requires_grad_(true), w = torch::randn({4, 10}).requires_grad_(true);
  const torch::Tensor b = torch::randn({4, 10}), g = torch::randn({6, 4});
  torch::Tensor y;
  {
    test::CpuBf16Autocast autocast;
    y = feedback_linear(x, w, b, false);
  }
  EXPECT_EQ(y.scalar_type(), torch::kBFloat16);
  (y.to(torch::kFloat) * g).sum().backward();
  EXPECT_EQ(w.grad().scalar_type(), torch::kFloat);
  EXPECT_LE(rel_err(w.grad(), torch::mm(g.t(), x.detach())), 2e-2);
  EXPECT_LE(rel_err(x.grad(), torch::mm(g, b)), 2e-2);
}

}  // namespace
}  // namespace lrid

namespace lrid {
namespace {

// conv2d_input_grad's few-input-channel path (GEMM + col2im) against ATen's
// convolution_backward, over strides, paddings, dilations and odd sizes.
TEST(Conv2dInputGrad, FewInputChannelsMatchesConvolutionBackward) {
  torch::manual_seed(10);
  struct Case {
    int64_t c_in, h, w, k, stride, padding, dilation;
  };
  for (const Case& c : {Case{1, 28, 28, 5, 1, 2, 1}, Case{1, 28, 28, 7, 2, 3, 1}, Case{3, 11, 9, 3, 2, 0, 1},
                        Case{2, 10, 13, 3, 1, 2, 2}, Case{4, 9, 9, 4, 3, 1, 1}}) {
    const ConvGeometry geo{{c.stride, c.stride}, {c.padding, c.padding}, {c.dilation, c.dilation}, 1};
    const torch::Tensor x = torch::randn({3, c.c_in, c.h, c.w}, kDouble), k = torch::randn({6, c.c_in, c.k, c.k}, kDouble);
    const torch::Tensor g = torch::randn_like(torch::conv2d(x, k, {}, geo.stride, geo.padding, geo.dilation));
    const torch::Tensor want = std::get<0>(at::convolution_backward(g, x, k, std::nullopt, geo.stride, geo.padding,
                                                                    geo.dilation, false, {0, 0}, 1, {true, false, false}));
    const torch::Tensor got = conv2d_input_grad(g, x, k, geo);
    ASSERT_EQ(got.sizes(), x.sizes()) << c.c_in << "x" << c.k;
    EXPECT_LE(rel_err(got, want), 1e-12) << "c_in " << c.c_in << " k " << c.k << " stride " << c.stride;
    // Channels-last kernel (read in its own (i, j, c) order): same values.
    const auto cl = torch::MemoryFormat::ChannelsLast;
    const torch::Tensor got_cl = conv2d_input_grad(g.contiguous(cl), x.to(x.options(), false, true, cl),
                                                   k.to(k.options(), false, true, cl), geo);
    EXPECT_EQ(got_cl.suggest_memory_format(), cl);
    EXPECT_LE(rel_err(got_cl, want), 1e-12) << "channels-last c_in " << c.c_in << " k " << c.k;
    // bf16, channels-last: bf16 rounding only, and the convolution's layout.
    const torch::Tensor got16 = conv2d_input_grad(g.to(torch::kBFloat16).contiguous(cl),
                                                  x.to(torch::kBFloat16).to(x.options().dtype(torch::kBFloat16), false, true, cl),
                                                  k.to(torch::kBFloat16).to(k.options().dtype(torch::kBFloat16), false, true, cl), geo);
    EXPECT_EQ(got16.scalar_type(), torch::kBFloat16);
    EXPECT_EQ(got16.suggest_memory_format(), cl);
    EXPECT_LE(rel_err(got16.to(kDouble), want), 2e-2) << "bf16 c_in " << c.c_in;
  }
}

}  // namespace
}  // namespace lrid

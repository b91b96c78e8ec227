// The tap GEMM weight gradient against at::convolution_backward (double
// precision), over strides, paddings, dilations and map sizes where some taps
// only read padding; its layout and dtype; when it applies; and backprop_conv2d
// against torch::conv2d's autograd.
#include "rules/tap_weight_grad.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "test_tensors.h"

namespace lrid {
namespace {

using test::kDouble;
using test::rel_err;

torch::Tensor reference_wg(const torch::Tensor& u, const torch::Tensor& v, const torch::Tensor& k,
                           const ConvGeometry& geo) {
  return std::get<1>(at::convolution_backward(v, u, k, std::nullopt, geo.stride, geo.padding, geo.dilation, false,
                                              {0, 0}, 1, {false, true, false}));
}

struct TapCase {
  int64_t c_in, c_out, h, w, kh, kw;
  ConvGeometry geo;
};

std::vector<TapCase> tap_cases() {
  auto g = [](std::vector<int64_t> s, std::vector<int64_t> p, std::vector<int64_t> d) {
    ConvGeometry geo;
    geo.stride = s;
    geo.padding = p;
    geo.dilation = d;
    return geo;
  };
  return {
      {5, 7, 1, 1, 3, 3, g({1, 1}, {1, 1}, {1, 1})},  // 1x1 map: only the centre tap reads the input
      {5, 7, 2, 2, 3, 3, g({1, 1}, {1, 1}, {1, 1})},  // 2x2: every tap partly in padding
      {4, 6, 4, 4, 3, 3, g({2, 2}, {0, 0}, {1, 1})},  // strided, no padding: every tap fully inside
      {4, 6, 6, 6, 3, 3, g({2, 2}, {1, 1}, {1, 1})},
      {3, 8, 7, 7, 1, 1, g({2, 2}, {0, 0}, {1, 1})},  // 1x1 kernel, strided
      {3, 4, 2, 3, 5, 5, g({1, 1}, {4, 4}, {2, 2})},  // dilation: some taps never reach the input
      {3, 4, 5, 3, 3, 2, g({2, 1}, {1, 0}, {1, 1})},  // per-dimension stride, padding and kernel
      {2, 3, 9, 9, 7, 7, g({2, 2}, {3, 3}, {1, 1})},
  };
}

TEST(TapWeightGrad, MatchesConvolutionBackwardInDoubleForEveryGeometryAndLayout) {
  torch::manual_seed(11);
  for (const TapCase& c : tap_cases()) {
    for (auto format : {torch::MemoryFormat::Contiguous, torch::MemoryFormat::ChannelsLast}) {
      SCOPED_TRACE(::testing::Message() << "in " << c.c_in << "x" << c.h << "x" << c.w << " k " << c.kh << "x"
                                        << c.kw << " stride " << c.geo.stride[0] << "," << c.geo.stride[1]
                                        << (format == torch::MemoryFormat::ChannelsLast ? " nhwc" : " nchw"));
      const torch::Tensor u = torch::randn({3, c.c_in, c.h, c.w}, kDouble).contiguous(format);
      const torch::Tensor k = torch::randn({c.c_out, c.c_in, c.kh, c.kw}, kDouble).contiguous(format);
      const int64_t ho = conv_output_size(c.h, c.kh, c.geo.stride[0], c.geo.padding[0], c.geo.dilation[0]);
      const int64_t wo = conv_output_size(c.w, c.kw, c.geo.stride[1], c.geo.padding[1], c.geo.dilation[1]);
      const torch::Tensor v = torch::randn({3, c.c_out, ho, wo}, kDouble).contiguous(format);
      const torch::Tensor got = tap_weight_grad(u, v, k, c.geo);
      EXPECT_EQ(got.sizes(), k.sizes());
      EXPECT_EQ(got.strides(), k.strides());  // the kernel's own layout
      EXPECT_LE(rel_err(got, reference_wg(u, v, k, c.geo)), 1e-12);
    }
  }
}

TEST(TapWeightGrad, TapsThatOnlyReadPaddingGetZero) {
  // 3x3 kernel, padding 1, on a 1x1 map: every tap but the centre reads padding only.
  const torch::Tensor u = torch::randn({4, 3, 1, 1}, kDouble), v = torch::randn({4, 2, 1, 1}, kDouble);
  ConvGeometry geo;
  geo.padding = {1, 1};
  const torch::Tensor got = tap_weight_grad(u, v, torch::empty({2, 3, 3, 3}, kDouble), geo);
  torch::Tensor off_centre = got.clone();
  off_centre.select(2, 1).select(2, 1).zero_();
  EXPECT_EQ(off_centre.abs().max().item<double>(), 0.0);
  EXPECT_LE(rel_err(got.select(2, 1).select(2, 1), v.flatten(1).t().mm(u.flatten(1))), 1e-14);
}

TEST(TapWeightGrad, Bf16ChannelsLastStaysInItsDtypeAndLayoutNearTheDoubleResult) {
  torch::manual_seed(12);
  ConvGeometry geo;
  geo.padding = {1, 1};
  const auto cl = torch::MemoryFormat::ChannelsLast;
  const torch::Tensor u = torch::randn({16, 32, 2, 2}).to(torch::kBFloat16).contiguous(cl);
  const torch::Tensor v = torch::randn({16, 24, 2, 2}).to(torch::kBFloat16).contiguous(cl);
  const torch::Tensor k = torch::empty({24, 32, 3, 3}).contiguous(cl);
  const torch::Tensor got = tap_weight_grad(u, v, k, geo);
  EXPECT_EQ(got.scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(test::channels_last(got));
  const torch::Tensor want = reference_wg(u.to(torch::kDouble), v.to(torch::kDouble), k.to(torch::kDouble), geo);
  EXPECT_LE(rel_err(got.to(torch::kDouble), want), 1e-2);
}

TEST(TapWeightGrad, AppliesToSmallMapsAndStridedReducedPrecisionOnly) {
  ConvGeometry s1;
  s1.padding = {1, 1};
  ConvGeometry s2;
  s2.stride = {2, 2};
  const auto cpu = torch::Device(torch::kCPU);
  EXPECT_TRUE(tap_weight_grad_applies({128, 512, 1, 1}, {512, 512, 3, 3}, s1, torch::kFloat, cpu));
  EXPECT_TRUE(tap_weight_grad_applies({128, 256, 2, 2}, {256, 256, 3, 3}, s1, torch::kBFloat16, cpu));
  EXPECT_FALSE(tap_weight_grad_applies({128, 128, 4, 4}, {128, 128, 3, 3}, s1, torch::kBFloat16, cpu));
  EXPECT_FALSE(tap_weight_grad_applies({128, 32, 14, 14}, {32, 32, 5, 5}, s1, torch::kFloat, cpu));
  // Strided, 64 input channels: bf16 yes, fp32 no; a one-channel first layer never.
  EXPECT_TRUE(tap_weight_grad_applies({128, 64, 7, 7}, {128, 64, 1, 1}, s2, torch::kBFloat16, cpu));
  EXPECT_FALSE(tap_weight_grad_applies({128, 64, 7, 7}, {128, 64, 1, 1}, s2, torch::kFloat, cpu));
  EXPECT_FALSE(tap_weight_grad_applies({128, 1, 34, 34}, {64, 1, 7, 7}, s2, torch::kBFloat16, cpu));
  ConvGeometry grouped = s1;
  grouped.groups = 2;
  EXPECT_FALSE(tap_weight_grad_applies({128, 512, 1, 1}, {512, 256, 3, 3}, grouped, torch::kFloat, cpu));
}

// backprop_conv2d on a small map (the tap path) gives torch::conv2d's values
// and the gradients of x, W and the bias that autograd gives.
TEST(BackpropConv2d, EqualsTorchConv2dWithItsGradients) {
  torch::manual_seed(13);
  ConvGeometry geo;
  geo.padding = {1, 1};
  const torch::Tensor x0 = torch::randn({4, 6, 2, 2}, kDouble), w0 = torch::randn({5, 6, 3, 3}, kDouble),
                      b0 = torch::randn({5}, kDouble), gy = torch::randn({4, 5, 2, 2}, kDouble);
  auto run = [&](bool ours) {
    torch::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true),
                  b = b0.clone().requires_grad_(true);
    torch::Tensor y = ours ? backprop_conv2d(x, w, geo, b) : torch::conv2d(x, w, b, {1, 1}, {1, 1});
    (y * gy).sum().backward();
    return std::vector<torch::Tensor>{y.detach(), x.grad(), w.grad(), b.grad()};
  };
  const auto ours = run(true), ref = run(false);
  for (size_t i = 0; i < ours.size(); ++i) EXPECT_LE(rel_err(ours[i], ref[i]), 1e-12) << "output " << i;
}

}  // namespace
}  // namespace lrid

// Tests of models/tf_ops: TF-SAME max/avg pooling on hand-computed examples and
// the TF-parameterised LRN against the TF formula written out with tensor ops.
#include "models/tf_ops.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace lrid {
namespace {

torch::Tensor grid4x4() { return torch::arange(16, torch::kFloat).reshape({1, 1, 4, 4}); }

TEST(TfSameMaxPool, PadsAfterWithMinusInfinity) {
  // 4x4, 3x3/2: total padding 1 per axis, all after. Windows: rows/cols {0,1,2}, {2,3,pad}.
  const auto y = tf_same_max_pool2d(grid4x4(), 3, 2);
  EXPECT_TRUE(torch::equal(y, torch::tensor({10.f, 11.f, 14.f, 15.f}).reshape({1, 1, 2, 2})));
  // All-negative input: a padded cell must never win (zero padding would give 0).
  const auto yn = tf_same_max_pool2d(-grid4x4() - 1, 3, 2);
  EXPECT_TRUE(torch::equal(yn, torch::tensor({-1.f, -3.f, -9.f, -11.f}).reshape({1, 1, 2, 2})));
}

TEST(TfSameAvgPool, DividesByValidCellsOnly) {
  // Window sums 45/9, 39/6, 66/6, 50/4: the padded cells are not counted.
  const auto y = tf_same_avg_pool2d(grid4x4(), 3, 2);
  EXPECT_TRUE(torch::allclose(y, torch::tensor({5.f, 6.5f, 11.f, 12.5f}).reshape({1, 1, 2, 2})));
}

TEST(TfSamePools, SymmetricCaseMatchesTorchPooling) {
  // 5x5 and 7x7 with 3x3/2: total padding 2, split 1/1, so torch's symmetric pools agree.
  for (int64_t s : {5, 7}) {
    const auto x = torch::randn({2, 3, s, s});
    EXPECT_TRUE(torch::allclose(tf_same_max_pool2d(x, 3, 2), torch::max_pool2d(x, 3, 2, 1)));
    EXPECT_TRUE(torch::allclose(
        tf_same_avg_pool2d(x, 3, 2),
        torch::avg_pool2d(x, 3, 2, 1, /*ceil_mode=*/false, /*count_include_pad=*/false)));
  }
}

TEST(TfSamePools, OutputSizeIsCeilOfInputOverStride) {
  for (int64_t s : {1, 2, 7, 14, 28, 32, 55}) {
    const auto x = torch::randn({1, 2, s, s});
    const int64_t out = (s + 1) / 2;
    EXPECT_EQ(tf_same_max_pool2d(x, 3, 2).sizes(), (std::vector<int64_t>{1, 2, out, out}));
    EXPECT_EQ(tf_same_avg_pool2d(x, 3, 2).sizes(), (std::vector<int64_t>{1, 2, out, out}));
  }
  // Constant input: the valid-cell mean is the constant everywhere, borders included.
  const auto c = torch::full({1, 1, 6, 6}, 3.0);
  EXPECT_TRUE(torch::allclose(tf_same_avg_pool2d(c, 3, 2), torch::full({1, 1, 3, 3}, 3.0)));
}

// TF: y_c = x_c / (bias + alpha * sum_{d = c-r}^{c+r} x_d^2)^beta, window clipped at the ends.
torch::Tensor tf_lrn_reference(const torch::Tensor& x, const TfLrnOptions& o) {
  const int64_t channels = x.size(1);
  std::vector<torch::Tensor> out;
  for (int64_t c = 0; c < channels; ++c) {
    const int64_t lo = std::max<int64_t>(0, c - o.radius);
    const int64_t hi = std::min<int64_t>(channels - 1, c + o.radius);
    const auto sq = x.narrow(1, lo, hi - lo + 1).pow(2).sum(1, /*keepdim=*/true);
    out.push_back(x.narrow(1, c, 1) / (o.bias + o.alpha * sq).pow(o.beta));
  }
  return torch::cat(out, 1);
}

TEST(TfLrn, MatchesTheTensorFlowFormula) {
  const auto x = torch::randn({2, 12, 3, 3}, torch::kDouble);
  for (const TfLrnOptions& o : {TfLrnOptions{5, 1.0, 1e-4, 0.75}, TfLrnOptions{3, 1.0, 5e-5, 0.75},
                                TfLrnOptions{2, 2.0, 0.5, 0.6}}) {
    // Scale the input so that the normaliser differs clearly from the bias.
    const double scale = 1.0 / std::sqrt(o.alpha);
    const auto xs = x * scale;
    const auto expected = tf_lrn_reference(xs, o);
    EXPECT_TRUE(torch::allclose(tf_local_response_norm(xs, o), expected, 1e-9, 1e-9));
    EXPECT_FALSE(torch::allclose(expected, xs / std::pow(o.bias, o.beta), 1e-3, 1e-6));
  }
}

TEST(TfLrn, KeepsTheLayoutAndComputesInFp32UnderBf16) {
  torch::manual_seed(3);
  const TfLrnOptions o{3, 1.0, 5e-5, 0.75};
  const auto x = torch::randn({2, 12, 5, 5}) * 100.0;
  const auto nchw = tf_local_response_norm(x, o);
  const auto last = tf_local_response_norm(x.contiguous(torch::MemoryFormat::ChannelsLast), o);
  EXPECT_TRUE(last.is_contiguous(torch::MemoryFormat::ChannelsLast) && !last.is_contiguous());
  EXPECT_TRUE(torch::allclose(last, nchw, 1e-6, 1e-6));
  // In bf16, 1 + alpha * sum would round to 1; the normaliser is computed in fp32.
  const auto half = tf_local_response_norm(x.to(torch::kBFloat16), o);
  EXPECT_EQ(half.scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(torch::allclose(half.to(torch::kFloat), nchw, 1e-2, 1e-2));
  EXPECT_FALSE(torch::allclose(nchw, x, 1e-3, 1e-3));  // the normaliser matters at this scale
}

}  // namespace
}  // namespace lrid

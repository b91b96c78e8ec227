// Statistics (science.md §3.3): worked percentile cases, hand-computed values,
// constant and single-unit rows, the fused CPU kernel against the op chain and
// the sample meter. (The golden NumPy/SciPy values are checked through
// user_statistics, in user_stats_test.cpp.)
#include "observables/statistics.h"

#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>


namespace lrid {
namespace {

bool same(double a, double b, double rel = 1e-9) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= rel * std::max({1.0, std::fabs(a), std::fabs(b)});
}

TEST(Percentile, WorkedCasesOfTheNearestRule) {
  EXPECT_EQ(percentile_index(5, 50), 2);  // a2
  EXPECT_EQ(percentile_index(5, 75), 3);  // a3
  EXPECT_EQ(percentile_index(4, 50), 1);  // r = round(1.5) = 2 -> a1
  EXPECT_EQ(percentile_index(2, 50), 1);  // r = round(0.5) = 0 -> the larger value
  EXPECT_EQ(percentile_index(1, 50), 0);
  EXPECT_EQ(percentile_index(1, 75), 0);
  EXPECT_EQ(percentile_index(8, 75), 5);  // r = round(1.75) = 2 -> a5
}

TEST(RowStatistics, HandComputedValues) {
  // v = 1 2 3 4 10: mean 4, var (9+4+1+0+36)/5 = 10, median 3, P75 4,
  // norm sqrt(130), skew 3(4-3)/sqrt(10), kurtosis (81+16+1+0+1296)/5/100.
  torch::Tensor v = torch::tensor({3.0, 1.0, 10.0, 2.0, 4.0}).view({1, 5});
  torch::Tensor s = row_statistics(v)[0];
  const double want[] = {1394.0 / 500.0, 4.0, 3.0, std::sqrt(130.0), 3.0 / std::sqrt(10.0), 4.0, 10.0};
  for (int k = 0; k < 7; ++k) EXPECT_TRUE(same(s[k].item<double>(), want[k])) << statistic_name(Statistic(k));
  torch::Tensor f = function_statistics(v.to(torch::kFloat32))[0];
  for (int k = 0; k < 7; ++k) EXPECT_TRUE(same(f[7 + k].item<double>(), want[k])) << "fused raw " << k;
  // sq: 1 4 9 16 100 -> median 9, P75 16, mean 26.
  EXPECT_DOUBLE_EQ(f[14 + 2].item<double>(), 9.0);
  EXPECT_DOUBLE_EQ(f[14 + 5].item<double>(), 16.0);
  EXPECT_DOUBLE_EQ(f[14 + 1].item<double>(), 26.0);
}

TEST(RowStatistics, ConstantAndSingleUnitRowsHaveZeroVarianceAndNaNShape) {
  // A constant row (a dead ReLU layer, a single unit): var 0, skew and kurtosis 0/0 = NaN.
  for (torch::Tensor v : {torch::full({1, 6}, 0.3), torch::full({1, 1}, -2.0), torch::zeros({1, 4})}) {
    for (const torch::Tensor& s : {row_statistics(v)[0], function_statistics(v)[0].slice(0, 7, 14)}) {
      EXPECT_EQ(s[int(Statistic::kVar)].item<double>(), 0.0);
      EXPECT_TRUE(std::isnan(s[int(Statistic::kSkew)].item<double>()));
      EXPECT_TRUE(std::isnan(s[int(Statistic::kKurtosis)].item<double>()));
      EXPECT_TRUE(same(s[int(Statistic::kMedian)].item<double>(), v[0][0].item<double>()));
    }
  }
}

TEST(FunctionStatistics, FusedKernelMatchesOpChain) {
  torch::manual_seed(3);
  std::vector<torch::Tensor> inputs = {
      torch::randn({7, 1000}), torch::randn({3, 1}), torch::randn({5, 2}).relu(),
      torch::randint(0, 3, {6, 37}).to(torch::kFloat32),  // ties
      torch::randn({4, 513}, torch::kFloat64) * 1e3 + 5, torch::rand({2, 64}) - 0.5};
  for (const auto& v : inputs) {
    torch::Tensor fused = function_statistics(v);
    torch::Tensor ref = function_statistics_reference(v);
    ASSERT_EQ(fused.sizes(), ref.sizes());
    for (int64_t i = 0; i < fused.numel(); ++i)
      EXPECT_TRUE(same(fused.view(-1)[i].item<double>(), ref.view(-1)[i].item<double>(), 1e-10))
          << "shape " << v.sizes() << " entry " << i;
  }
}

TEST(FunctionStatistics, RadixSelectEdgeCases) {
  // One histogram bucket holding everything, signed zeros, infinities, denormals,
  // heavy ties and tiny rows: the float32 radix select against the op chain.
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<std::vector<float>> rows = {
      {1.0f, 1.0000001f, 1.0000002f, 1.0000004f, 1.0000003f, 1.0000005f, 1.0000001f},
      {-0.0f, 0.0f, -0.0f, 0.0f, 1.0f, -1.0f},
      {inf, -inf, 2.0f, -3.0f, 0.5f},
      {1e-40f, -1e-41f, 3e-39f, 0.0f, -2e-38f},
      {5.0f, 5.0f, 5.0f, 5.0f, 5.0f, 5.0f, 7.0f, 5.0f, 5.0f},
      {2.0f},
      {-1.0f, 3.0f},
      {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.3f, 0.7f, 0.0f, 0.2f},
  };
  for (const auto& r : rows) {
    torch::Tensor v = torch::tensor(r).view({1, -1});
    torch::Tensor fused = function_statistics(v)[0];
    torch::Tensor ref = function_statistics_reference(v)[0];
    for (int f = 0; f < 3; ++f)
      for (Statistic st : {Statistic::kMedian, Statistic::kThirdQuartile}) {
        const int k = f * kNumStatistics + int(st);
        EXPECT_EQ(fused[k].item<double>(), ref[k].item<double>()) << v << " function " << f << " " << statistic_name(st);
      }
  }
  // Longer rows with a large tie block.
  torch::manual_seed(8);
  torch::Tensor v = torch::cat({torch::zeros({2, 3000}), torch::randn({2, 1001})}, 1);
  torch::Tensor fused = function_statistics(v), ref = function_statistics_reference(v);
  EXPECT_TRUE(torch::allclose(fused.nan_to_num(), ref.nan_to_num(), 1e-10, 1e-12));
}

TEST(FunctionStatistics, RowWithNaNIsAllNaN) {
  torch::Tensor v = torch::randn({2, 10});
  v[1][3] = std::nan("");
  torch::Tensor s = function_statistics(v);
  EXPECT_TRUE(s[1].isnan().all().item<bool>());
  EXPECT_TRUE(s[0].isfinite().all().item<bool>());
}

TEST(FunctionStatistics, CudaOpChainMatchesTheCpuKernel) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  torch::manual_seed(4);
  torch::Tensor v = torch::cat({torch::randn({5, 777}), torch::randn({2, 777}).relu()});
  torch::Tensor cpu = function_statistics(v);
  torch::Tensor gpu = function_statistics(v.cuda());
  EXPECT_TRUE(gpu.is_cuda());
  EXPECT_TRUE(torch::allclose(gpu.cpu().nan_to_num(), cpu.nan_to_num(), 1e-10, 1e-12));
}

TEST(SampleMeter, ChunksGiveTheWholeSetsMeanAndMedian) {
  torch::Tensor rows = torch::randn({9, 4}, torch::kFloat64);
  SampleMeter mean, median(SampleReduction::kMedian);
  for (int64_t s = 0; s < 9; s += 4) {
    mean.add(rows.slice(0, s, s + 4));
    median.add(rows.slice(0, s, s + 4));
  }
  EXPECT_TRUE(torch::allclose(mean.value(), rows.mean(0), 1e-12, 1e-14));
  torch::Tensor sorted = std::get<0>(rows.sort(0));
  EXPECT_TRUE(torch::equal(median.value(), sorted[percentile_index(9, 50)]));
  EXPECT_EQ(mean.count(), 9);
  mean.reset();
  EXPECT_THROW(mean.value(), c10::Error);
}

}  // namespace
}  // namespace lrid

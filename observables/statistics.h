// The statistics of science.md §3.3, computed for many rows at once, and small
// composable meters that reduce per-sample statistics over a probe set
// (flashlight-style: add() chunks, value() at the end, reset()).
//
// Definitions, for the n values v of one row (after the function):
//   mean  μ = (1/n) Σ v                     var  σ² = (1/n) Σ (v − μ)²  (population)
//   norm  √(Σ v²)                           kurtosis (1/n) Σ (v − μ)⁴ / σ⁴  (non-excess)
//   skew  3 (μ − median) / σ                (Pearson's second coefficient)
//   median P50, thirdquartile P75, by TensorFlow's "nearest" percentile rule:
//     sort descending d_0 ≥ … ≥ d_{n−1}, r = round_half_even((n − 1)(1 − q/100)),
//     P_q = d_r, i.e. the ascending order statistic a_{n−1−r}. No interpolation,
//     no averaging of the two middle values (n = 4: median a_1; n = 2: a_1).
// Everything is computed in double precision from the input, on the input's
// device, with selection (not a sort) for the percentiles and vectorised
// moments; nothing is copied to the host. On the CPU, all three functions of a
// row are computed in one fused kernel (two passes over the row for the
// moments, std::nth_element for the percentiles, rows in parallel): LibTorch
// has no fused multi-statistic reduction, and chaining its ops costs about ten
// passes over double copies of the data per function. Order statistics of sq
// are those of abs squared (squaring is monotone on |v|), and those of abs are
// those of raw when a row has no negative value, which saves selections.
// A constant row (max == min, including n = 1) has var exactly 0, and skew and
// kurtosis NaN: both are 0/0 in exact arithmetic, and rounding in the mean
// would otherwise turn them into arbitrary finite numbers. A row holding a NaN
// (a diverged network) gives NaN for every statistic.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <string>

#include "observables/names.h"

namespace lrid {

// Ascending 0-based index of P_q among n sorted values (the rule above; r in double).
int64_t percentile_index(int64_t n, double q);

// v: [R, n] (any floating dtype, any device), n >= 1. Returns [R, 7] float64 in
// Statistic order: kurtosis, mean, median, norm, skew, thirdquartile, var.
torch::Tensor row_statistics(const torch::Tensor& v);

// All three functions at once: v [R, n] -> [R, 21] float64, laid out
// [abs × 7 statistics, raw × 7, sq × 7] (the canonical observable order).
// CPU float32/float64 inputs take the fused kernel, others the op chain.
torch::Tensor function_statistics(const torch::Tensor& v);
// The op-chain implementation (any device); the fused kernel is tested against it.
torch::Tensor function_statistics_reference(const torch::Tensor& v);

// The element-wise function applied before a statistic (abs, raw, sq).
torch::Tensor apply_function(const torch::Tensor& v, Function f);

// The P_q order statistic of each column of a [R, K] tensor (the same rule).
torch::Tensor column_percentile(const torch::Tensor& v, double q);

// How the per-sample statistics of a probe set become one number (§3.5).
enum class SampleReduction { kMean, kMedian };
SampleReduction parse_sample_reduction(const std::string& name, const std::string& what);

// Reduces rows of per-sample values [B, K] (added in chunks) to [K] float64:
// their arithmetic mean, or their median by the percentile rule above.
// Non-finite values propagate (a NaN sample makes the mean NaN).
class SampleMeter {
 public:
  explicit SampleMeter(SampleReduction reduction = SampleReduction::kMean) : reduction_(reduction) {}
  void add(const torch::Tensor& rows);
  torch::Tensor value() const;  // [K]; throws if nothing was added
  int64_t count() const { return count_; }
  void reset();

 private:
  SampleReduction reduction_;
  torch::Tensor sum_;                 // kMean: running column sums
  std::vector<torch::Tensor> rows_;   // kMedian: every row
  int64_t count_ = 0;
};

}  // namespace lrid

// Statistics and sample meters. See statistics.h for the exact definitions.
#include "observables/statistics.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <cmath>
#include <tuple>
#include <vector>

#include "core/errors.h"

namespace lrid {

int64_t percentile_index(int64_t n, double q) {
  TORCH_CHECK(n >= 1, "percentile of an empty set");
  // std::nearbyint rounds half to even in the default rounding mode.
  const double r = std::nearbyint(static_cast<double>(n - 1) * (1.0 - q / 100.0));
  return n - 1 - static_cast<int64_t>(r);
}

torch::Tensor apply_function(const torch::Tensor& v, Function f) {
  switch (f) {
    case Function::kAbs: return v.abs();
    case Function::kRaw: return v;
    case Function::kSq: return v * v;
  }
  return v;
}

torch::Tensor row_statistics(const torch::Tensor& v_in) {
  TORCH_CHECK(v_in.dim() == 2, "row_statistics expects [rows, n], got ", v_in.sizes());
  const int64_t n = v_in.size(1);
  TORCH_CHECK(n >= 1, "row_statistics: rows must have at least one value");
  torch::Tensor v = v_in.to(torch::kFloat64);
  torch::Tensor mean = v.mean(1);
  torch::Tensor d = v - mean.unsqueeze(1);
  torch::Tensor d2 = d * d;
  torch::Tensor var = d2.mean(1);
  torch::Tensor m4 = (d2 * d2).mean(1);
  torch::Tensor norm = (v * v).sum(1).sqrt();
  // kthvalue's k is 1-based.
  torch::Tensor median = std::get<0>(v.kthvalue(percentile_index(n, 50) + 1, 1));
  torch::Tensor q3 = std::get<0>(v.kthvalue(percentile_index(n, 75) + 1, 1));
  torch::Tensor constant = std::get<0>(v.max(1)) == std::get<0>(v.min(1));
  var = torch::where(constant, torch::zeros_like(var), var);
  const double nan = std::nan("");
  torch::Tensor skew = torch::where(constant, torch::full_like(var, nan), 3.0 * (mean - median) / var.sqrt());
  torch::Tensor kurt = torch::where(constant, torch::full_like(var, nan), m4 / (var * var));
  return torch::stack({kurt, mean, median, norm, skew, q3, var}, 1);
}

torch::Tensor column_percentile(const torch::Tensor& v, double q) {
  TORCH_CHECK(v.dim() == 2 && v.size(0) >= 1, "column_percentile expects [R >= 1, K]");
  return std::get<0>(v.kthvalue(percentile_index(v.size(0), q) + 1, 0));
}

SampleReduction parse_sample_reduction(const std::string& name, const std::string& what) {
  if (name == "mean") return SampleReduction::kMean;
  if (name == "median") return SampleReduction::kMedian;
  throw ConfigError(fmt::format("{}: unknown sample reduction '{}' (mean, median)", what, name));
}

void SampleMeter::add(const torch::Tensor& rows) {
  TORCH_CHECK(rows.dim() == 2, "SampleMeter::add expects [B, K]");
  if (rows.size(0) == 0) return;
  torch::Tensor r = rows.to(torch::kFloat64);
  if (reduction_ == SampleReduction::kMean) {
    torch::Tensor s = r.sum(0);
    sum_ = sum_.defined() ? sum_ + s : s;
  } else {
    rows_.push_back(r);
  }
  count_ += rows.size(0);
}

torch::Tensor SampleMeter::value() const {
  TORCH_CHECK(count_ > 0, "SampleMeter: no samples were added");
  if (reduction_ == SampleReduction::kMean) return sum_ / static_cast<double>(count_);
  return column_percentile(torch::cat(rows_, 0), 50);
}

void SampleMeter::reset() {
  sum_ = torch::Tensor();
  rows_.clear();
  count_ = 0;
}

}  // namespace lrid

// ---------------------------------------------------------------------------
// Fused CPU kernel: see statistics.h.
namespace lrid {
namespace {

struct Central {
  double sum = 0, sum_sq = 0, m2 = 0, m4 = 0;
};

// The percentile pair (median, P75) of buf[0..n) in ascending order, by selection.
template <class T>
std::pair<double, double> median_q3(std::vector<T>& buf, int64_t i50, int64_t i75) {
  std::nth_element(buf.begin(), buf.begin() + i50, buf.end());
  const double med = static_cast<double>(buf[static_cast<std::size_t>(i50)]);
  double q3 = med;
  if (i75 > i50) {
    std::nth_element(buf.begin() + i50 + 1, buf.begin() + i75, buf.end());
    q3 = static_cast<double>(buf[static_cast<std::size_t>(i75)]);
  }
  return {med, q3};
}

// float32 rows: a radix select. A float's bits map to an unsigned key with the
// same order (negative: all bits flipped; positive: sign bit set; |v|: sign bit
// cleared). One pass histograms the top 11 key bits of v and of |v| together;
// a second pass gathers the keys in the buckets holding the wanted ranks; a
// std::nth_element on those few candidates finishes. About 3x faster than
// introselect over the whole row, and exact.
inline uint32_t raw_key(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
inline float from_raw_key(uint32_t k) {
  uint32_t b = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
inline uint32_t abs_key(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b & 0x7fffffffu;
}
inline float from_abs_key(uint32_t k) {
  float f;
  std::memcpy(&f, &k, 4);
  return f;
}

struct RadixScratch {
  std::vector<uint32_t> hist_raw, hist_abs;
  std::vector<uint32_t> cand[4];
  RadixScratch() : hist_raw(2048), hist_abs(2048) {}
};

// Ranks {i50, i75} of raw and (when with_abs) |raw|: out = {med_r, q3_r, med_a, q3_a}.
void radix_percentiles(const float* x, int64_t n, int64_t i50, int64_t i75, bool with_abs, RadixScratch& s,
                       double out[4]) {
  std::fill(s.hist_raw.begin(), s.hist_raw.end(), 0u);
  uint32_t* hr = s.hist_raw.data();
  uint32_t* ha = s.hist_abs.data();
  for (int64_t i = 0; i < n; ++i) ++hr[raw_key(x[i]) >> 21];
  // The |v| buckets (top 11 bits of |v|'s key, i.e. 0..1023) follow from the raw
  // ones: positive v sits in raw bucket 1024 + j, negative v in 1023 - j.
  if (with_abs)
    for (uint32_t j = 0; j < 1024; ++j) ha[j] = hr[1024 + j] + hr[1023 - j];
  // Bucket and rank within it for each wanted (histogram, rank).
  const int64_t ranks[4] = {i50, i75, i50, i75};
  uint32_t bucket[4];
  int64_t within[4];
  const int wanted = with_abs ? 4 : 2;
  for (int w = 0; w < wanted; ++w) {
    const uint32_t* h = w < 2 ? hr : ha;
    int64_t before = 0;
    uint32_t b = 0;
    while (before + h[b] <= ranks[w]) before += h[b++];
    bucket[w] = b;
    within[w] = ranks[w] - before;
    s.cand[w].clear();
  }
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t kr = raw_key(x[i]);
    if ((kr >> 21) == bucket[0]) s.cand[0].push_back(kr);
    if ((kr >> 21) == bucket[1] && bucket[1] != bucket[0]) s.cand[1].push_back(kr);
    if (with_abs) {
      const uint32_t ka = abs_key(x[i]);
      if ((ka >> 21) == bucket[2]) s.cand[2].push_back(ka);
      if ((ka >> 21) == bucket[3] && bucket[3] != bucket[2]) s.cand[3].push_back(ka);
    }
  }
  for (int w = 0; w < wanted; ++w) {
    // ranks in the same bucket share one candidate list (that of the first)
    const bool shared = (w == 1 || w == 3) && bucket[w] == bucket[w - 1];
    std::vector<uint32_t>& c = shared ? s.cand[w - 1] : s.cand[w];
    std::nth_element(c.begin(), c.begin() + within[w], c.end());
    const uint32_t k = c[static_cast<std::size_t>(within[w])];
    out[w] = w < 2 ? static_cast<double>(from_raw_key(k)) : static_cast<double>(from_abs_key(k));
  }
}

// Writes the 7 statistics in canonical order (kurtosis, mean, median, norm, skew, q3, var).
void write_stats(double* out, int64_t n, double mean, double m2, double m4, double norm, double med, double q3,
                 bool constant) {
  const double nd = static_cast<double>(n);
  double var = constant ? 0.0 : m2 / nd;
  const double nan = std::nan("");
  out[0] = constant ? nan : (m4 / nd) / (var * var);
  out[1] = mean;
  out[2] = med;
  out[3] = norm;
  out[4] = constant ? nan : 3.0 * (mean - med) / std::sqrt(var);
  out[5] = q3;
  out[6] = var;
}

// The pieces of row_kernel, force-inlined so that each target clone of the
// kernel compiles them for its own instruction set.
#define LRID_KERNEL_PART inline __attribute__((always_inline))

// Pass 1a: float64 sums of raw, abs and sq values.
struct RowSums {
  double raw = 0, abs = 0, sq = 0;
};
template <class T>
LRID_KERNEL_PART RowSums row_sums(const T* x, int64_t n) {
  double s_raw = 0, s_abs = 0, s_sq = 0;
#pragma omp simd reduction(+ : s_raw, s_abs, s_sq)
  for (int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    s_raw += v;
    s_abs += std::fabs(v);
    s_sq += v * v;
  }
  return {s_raw, s_abs, s_sq};
}

// Pass 1b: extrema of the raw and abs values, in the input's type.
template <class T>
struct RowExtrema {
  T min, max, abs_min, abs_max;
};
template <class T>
LRID_KERNEL_PART RowExtrema<T> row_extrema(const T* x, int64_t n) {
  T mn = x[0], mx = x[0], amn = std::fabs(x[0]), amx = amn;
#pragma omp simd reduction(min : mn, amn) reduction(max : mx, amx)
  for (int64_t i = 0; i < n; ++i) {
    const T a = std::fabs(x[i]);
    mn = std::min(mn, x[i]);
    mx = std::max(mx, x[i]);
    amn = std::min(amn, a);
    amx = std::max(amx, a);
  }
  return {mn, mx, amn, amx};
}

// Pass 2: second and fourth central moments (sums) of raw, abs and sq, and the sum of q^2.
struct RowMoments {
  double r2 = 0, r4 = 0, a2 = 0, a4 = 0, q2 = 0, q4 = 0, qq = 0;
};
// kAbsIsRaw: no value is negative, so abs is raw and half the work is skipped.
template <bool kAbsIsRaw, class T>
LRID_KERNEL_PART RowMoments row_moments_pass(const T* x, int64_t n, double mu_r, double mu_a, double mu_q) {
  double r2 = 0, r4 = 0, a2 = 0, a4 = 0, q2 = 0, q4 = 0, qq = 0;
#pragma omp simd reduction(+ : r2, r4, a2, a4, q2, q4, qq)
  for (int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    const double q = v * v;
    const double dr = v - mu_r, dq = q - mu_q;
    const double dr2 = dr * dr, dq2 = dq * dq;
    r2 += dr2;
    r4 += dr2 * dr2;
    if constexpr (!kAbsIsRaw) {
      const double da = std::fabs(v) - mu_a;
      const double da2 = da * da;
      a2 += da2;
      a4 += da2 * da2;
    }
    q2 += dq2;
    q4 += dq2 * dq2;
    qq += q * q;
  }
  if constexpr (kAbsIsRaw) return {r2, r4, r2, r4, q2, q4, qq};
  return {r2, r4, a2, a4, q2, q4, qq};
}

template <class T>
LRID_KERNEL_PART RowMoments row_moments(const T* x, int64_t n, double mu_r, double mu_a, double mu_q,
                                        bool has_negative) {
  return has_negative ? row_moments_pass<false>(x, n, mu_r, mu_a, mu_q) : row_moments_pass<true>(x, n, mu_r, mu_a, mu_q);
}

// Median and third quartile of raw and abs values: radix select for float32,
// nth_element on a copy for float64.
struct RowPercentiles {
  double med_r, q3_r, med_a, q3_a;
};
template <class T>
LRID_KERNEL_PART RowPercentiles row_percentiles(const T* x, int64_t n, int64_t i50, int64_t i75, bool has_negative,
                                                std::vector<T>& buf, RadixScratch& scratch) {
  if constexpr (std::is_same<T, float>::value) {
    double p[4];
    radix_percentiles(x, n, i50, i75, has_negative, scratch, p);
    return {p[0], p[1], has_negative ? p[2] : p[0], has_negative ? p[3] : p[1]};
  } else {
    RowPercentiles r;
    std::copy(x, x + n, buf.begin());
    std::tie(r.med_r, r.q3_r) = median_q3(buf, i50, i75);
    r.med_a = r.med_r;
    r.q3_a = r.q3_r;
    if (has_negative) {
      for (int64_t i = 0; i < n; ++i) buf[static_cast<std::size_t>(i)] = x[i] < 0 ? -x[i] : x[i];
      std::tie(r.med_a, r.q3_a) = median_q3(buf, i50, i75);
    }
    return r;
  }
}

// One row: the moments in two vectorised passes (pass 1: sums, extrema and NaN
// check; pass 2: central moments of raw, abs and sq), then the percentiles.
template <class T>
LRID_KERNEL_PART void row_kernel(const T* x, int64_t n, int64_t i50, int64_t i75, std::vector<T>& buf,
                                 RadixScratch& scratch, double* o) {
  const double nd = static_cast<double>(n);
  const RowSums s = row_sums(x, n);
  if (std::isnan(s.raw) || std::isnan(s.sq)) {
    bool nan = false;
    for (int64_t i = 0; i < n && !nan; ++i) nan = std::isnan(x[i]);
    if (nan) {  // a NaN in the row (a diverged network): every statistic is NaN
      std::fill(o, o + 21, std::nan(""));
      return;
    }
  }
  const RowExtrema<T> e = row_extrema(x, n);
  const double mu_r = s.raw / nd, mu_a = s.abs / nd, mu_q = s.sq / nd;
  const bool has_negative = e.min < 0;
  const RowMoments m = row_moments(x, n, mu_r, mu_a, mu_q, has_negative);
  const RowPercentiles p = row_percentiles(x, n, i50, i75, has_negative, buf, scratch);
  const double norm = std::sqrt(s.sq);
  write_stats(o, n, mu_a, m.a2, m.a4, norm, p.med_a, p.q3_a, e.abs_min == e.abs_max);
  write_stats(o + 7, n, mu_r, m.r2, m.r4, norm, p.med_r, p.q3_r, e.min == e.max);
  write_stats(o + 14, n, mu_q, m.q2, m.q4, std::sqrt(m.qq), p.med_a * p.med_a, p.q3_a * p.q3_a,
              e.abs_min == e.abs_max);
}

#undef LRID_KERNEL_PART

// Compiled for AVX2 and for the baseline; the loader picks one per CPU.
__attribute__((target_clones("avx2", "default"))) void row_kernel_float(const float* x, int64_t n, int64_t i50,
                                                                       int64_t i75, std::vector<float>& buf,
                                                                       RadixScratch& scratch, double* o) {
  row_kernel(x, n, i50, i75, buf, scratch, o);
}
__attribute__((target_clones("avx2", "default"))) void row_kernel_double(const double* x, int64_t n, int64_t i50,
                                                                        int64_t i75, std::vector<double>& buf,
                                                                        RadixScratch& scratch, double* o) {
  row_kernel(x, n, i50, i75, buf, scratch, o);
}

template <class T>
void fused_rows(const T* data, int64_t rows, int64_t n, double* out) {
  const int64_t i50 = percentile_index(n, 50), i75 = percentile_index(n, 75);
  at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> buf(std::is_same<T, float>::value ? 0 : static_cast<std::size_t>(n));
    RadixScratch scratch;
    for (int64_t r = begin; r < end; ++r) {
      if constexpr (std::is_same<T, float>::value)
        row_kernel_float(data + r * n, n, i50, i75, buf, scratch, out + r * 21);
      else
        row_kernel_double(data + r * n, n, i50, i75, buf, scratch, out + r * 21);
    }
  });
}

}  // namespace

torch::Tensor function_statistics_reference(const torch::Tensor& v) {
  TORCH_CHECK(v.dim() == 2, "function_statistics expects [rows, n]");
  const int64_t r = v.size(0);
  torch::Tensor vd = v.to(torch::kFloat64);
  torch::Tensor all = torch::cat({apply_function(vd, Function::kAbs), vd, apply_function(vd, Function::kSq)}, 0);
  torch::Tensor s = row_statistics(all);  // [3R, 7]
  s = s.view({kNumFunctions, r, kNumStatistics}).permute({1, 0, 2}).reshape({r, kNumFunctions * kNumStatistics});
  // As the fused kernel: a row holding a NaN is NaN throughout.
  return torch::where(vd.isnan().any(1, true), torch::full_like(s, std::nan("")), s);
}

torch::Tensor function_statistics(const torch::Tensor& v) {
  TORCH_CHECK(v.dim() == 2, "function_statistics expects [rows, n], got ", v.sizes());
  TORCH_CHECK(v.size(1) >= 1, "function_statistics: rows must have at least one value");
  const bool fused = v.is_cpu() && (v.scalar_type() == torch::kFloat32 || v.scalar_type() == torch::kFloat64);
  if (!fused) return function_statistics_reference(v);
  torch::Tensor c = v.contiguous();
  torch::Tensor out = torch::empty({v.size(0), kNumFunctions * kNumStatistics}, torch::kFloat64);
  if (v.size(0) == 0) return out;
  if (c.scalar_type() == torch::kFloat32)
    fused_rows(c.data_ptr<float>(), c.size(0), c.size(1), out.data_ptr<double>());
  else
    fused_rows(c.data_ptr<double>(), c.size(0), c.size(1), out.data_ptr<double>());
  return out;
}

}  // namespace lrid

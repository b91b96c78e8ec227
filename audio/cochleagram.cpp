// The cochleagram front end (definition in cochleagram.h). Written here because
// no C++ library computes pycochleagram's ERB half-cosine filterbank; the FFTs,
// the strided window convolution and the compression are LibTorch's, so the
// same code runs on CPU and GPU.
#include "audio/cochleagram.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <tuple>

#include <fmt/format.h>

#include "core/errors.h"

namespace lrid {
namespace {

// Glasberg & Moore's ERB-number scale.
constexpr double kErbEarQ = 9.265;
constexpr double kErbMinBandwidth = 24.7;

double hz_to_erb(double hz) { return kErbEarQ * std::log(1.0 + hz / (kErbMinBandwidth * kErbEarQ)); }
double erb_to_hz(double erb) { return kErbMinBandwidth * kErbEarQ * (std::exp(erb / kErbEarQ) - 1.0); }

// The n + 2 cutoffs c_0..c_{n+1} in Hz, equally spaced on the ERB scale.
std::vector<double> cutoff_hz(const CochleagramOptions& o) {
  const double lo = hz_to_erb(o.low_hz), hi = hz_to_erb(o.high_hz);
  const int64_t last = o.num_filters + 1;
  std::vector<double> c(static_cast<size_t>(last + 1));
  for (int64_t i = 0; i <= last; ++i) {
    c[static_cast<size_t>(i)] = i == last ? o.high_hz : erb_to_hz(lo + (hi - lo) * static_cast<double>(i) / last);
  }
  c[0] = o.low_hz;
  return c;
}

// The downsampling window: Hann of 2D+1 taps without zero end taps, sum 1. [1, 1, 2D+1].
torch::Tensor hann_downsampling_window(int64_t factor) {
  const int64_t taps = 2 * factor + 1;
  torch::Tensor w = torch::empty({taps}, torch::kFloat64);
  auto a = w.accessor<double, 1>();
  for (int64_t i = 0; i < taps; ++i) {
    a[i] = 0.5 - 0.5 * std::cos(2.0 * M_PI * static_cast<double>(i + 1) / static_cast<double>(2 * factor + 2));
  }
  return (w / w.sum()).reshape({1, 1, taps});
}

// What cochleagram needs on the device for one (N, options): the filters times
// the analytic-signal gains a_j, float32 [n, N/2+1], and the window.
struct CochleagramBank {
  torch::Tensor analytic_filters;
  torch::Tensor window;
};

using BankKey = std::tuple<int64_t, int64_t, int64_t, double, double, int64_t, int, int>;

CochleagramBank build_bank(int64_t n, const CochleagramOptions& o, const torch::Device& device) {
  torch::Tensor gains = torch::full({n / 2 + 1}, 2.0, torch::kFloat64);
  gains[0] = 1.0;
  if (n % 2 == 0) gains[n / 2] = 1.0;
  const torch::Tensor filters = erb_cos_filters(n, o) * gains;
  const torch::TensorOptions target = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  return {filters.to(target), hann_downsampling_window(o.sample_rate / o.envelope_rate).to(target)};
}

// A few banks (one per signal length, option set and device in use) behind a
// mutex; cleared when full, which only happens when lengths keep changing.
CochleagramBank cached_bank(int64_t n, const CochleagramOptions& o, const torch::Device& device) {
  constexpr size_t kMaxBanks = 16;
  static std::mutex mutex;
  static std::map<BankKey, CochleagramBank> banks;
  const BankKey key{n, o.sample_rate, o.num_filters, o.low_hz, o.high_hz, o.envelope_rate,
                    static_cast<int>(device.type()), static_cast<int>(device.index())};
  std::lock_guard<std::mutex> lock(mutex);
  auto it = banks.find(key);
  if (it != banks.end()) return it->second;
  if (banks.size() >= kMaxBanks) banks.clear();
  return banks.emplace(key, build_bank(n, o, device)).first->second;
}

// Complex elements of subband signals computed at once. On the CPU the slices
// run in parallel, one per thread, and a slice of 2 MB (13 filters of a 1 s
// clip at 20 kHz) stays in cache through the ifft, abs and window passes.
// Measured on 2 shared cores, 64 clips of 1 s (bench/cochleagram_speed.py):
// 0.29-0.34 s on 2 threads, 0.55-0.57 s on one; slices of 4 MB took 0.94-1.0 s
// on 2 threads, and slices of 8 clips with every op multi-threaded 2.1 s.
// A GPU takes slices of 256 MB.
constexpr int64_t kCpuSliceElements = int64_t{1} << 18;
constexpr int64_t kGpuSliceElements = int64_t{1} << 25;

// `rows` waveforms from `row` x `count` filters from `filter`.
struct CochleagramSlice {
  int64_t row, rows, filter, count;
};

// Whole waveforms per slice while they fit the budget, else groups of one
// waveform's filters; on the CPU at least as many slices as threads.
std::vector<CochleagramSlice> cochleagram_slices(int64_t batch, int64_t filters, int64_t n, bool cpu) {
  const int64_t threads = cpu ? at::get_num_threads() : 1;
  const int64_t budget = cpu ? kCpuSliceElements : kGpuSliceElements;
  int64_t group = std::clamp<int64_t>(budget / n, 1, filters);
  if (batch < threads) group = std::min(group, (filters * batch + threads - 1) / threads);
  const int64_t rows =
      group < filters ? 1 : std::clamp<int64_t>(budget / (filters * n), 1, (batch + threads - 1) / threads);
  std::vector<CochleagramSlice> slices;
  for (int64_t b = 0; b < batch; b += rows) {
    for (int64_t k = 0; k < filters; k += group) {
      slices.push_back({b, std::min(rows, batch - b), k, std::min(group, filters - k)});
    }
  }
  return slices;
}

}  // namespace

void CochleagramOptions::validate() const {
  auto fail = [](const std::string& what) { throw ConfigError("cochleagram: " + what); };
  if (sample_rate <= 0) fail(fmt::format("sample_rate must be > 0 Hz, got {}", sample_rate));
  if (num_filters < 1) fail(fmt::format("num_filters must be >= 1, got {}", num_filters));
  if (!std::isfinite(low_hz) || low_hz < 0) fail(fmt::format("low_hz must be a finite number >= 0, got {}", low_hz));
  if (!std::isfinite(high_hz) || high_hz <= low_hz) {
    fail(fmt::format("high_hz must be a finite number > low_hz ({}), got {}", low_hz, high_hz));
  }
  if (high_hz > sample_rate / 2.0) {
    fail(fmt::format("high_hz {} is above the Nyquist frequency {} of sample_rate {}", high_hz, sample_rate / 2.0,
                     sample_rate));
  }
  if (envelope_rate <= 0 || envelope_rate > sample_rate || sample_rate % envelope_rate != 0) {
    fail(fmt::format("envelope_rate must divide sample_rate {}, got {}", sample_rate, envelope_rate));
  }
  if (!std::isfinite(power) || power <= 0) fail(fmt::format("power must be a finite number > 0, got {}", power));
  if (!std::isfinite(floor) || floor <= 0) fail(fmt::format("floor must be a finite number > 0, got {}", floor));
}

std::vector<double> filter_centre_hz(const CochleagramOptions& o) {
  o.validate();
  const std::vector<double> c = cutoff_hz(o);
  return std::vector<double>(c.begin() + 1, c.end() - 1);
}

torch::Tensor erb_cos_filters(int64_t num_samples, const CochleagramOptions& o) {
  o.validate();
  if (num_samples <= 0) throw ConfigError(fmt::format("erb_cos_filters: num_samples must be > 0, got {}", num_samples));
  const std::vector<double> c = cutoff_hz(o);
  const int64_t bins = num_samples / 2 + 1;
  torch::Tensor h = torch::zeros({o.num_filters, bins}, torch::kFloat64);
  auto a = h.accessor<double, 2>();
  const double bin_hz = static_cast<double>(o.sample_rate) / static_cast<double>(num_samples);
  for (int64_t k = 0; k < o.num_filters; ++k) {
    const double lo = c[static_cast<size_t>(k)], hi = c[static_cast<size_t>(k + 2)];
    const double centre = (hz_to_erb(lo) + hz_to_erb(hi)) / 2, width = hz_to_erb(hi) - hz_to_erb(lo);
    for (int64_t j = static_cast<int64_t>(lo / bin_hz); j < bins; ++j) {
      const double f = static_cast<double>(j) * bin_hz;
      if (f >= hi) break;
      if (f > lo) a[k][j] = std::cos(M_PI * (hz_to_erb(f) - centre) / width);
    }
  }
  return h;
}

torch::Tensor cochleagram(const torch::Tensor& waveform, const CochleagramOptions& o) {
  o.validate();
  const torch::NoGradGuard no_grad;
  TORCH_CHECK(waveform.defined(), "cochleagram: the waveform is an undefined tensor");
  TORCH_CHECK(waveform.scalar_type() == torch::kFloat32, "cochleagram: the waveform must be float32, got ",
              waveform.scalar_type());
  TORCH_CHECK(waveform.dim() == 1 || waveform.dim() == 2, "cochleagram: the waveform must be [N] or [B, N], got ",
              waveform.sizes());
  const torch::Tensor x = waveform.dim() == 1 ? waveform.unsqueeze(0) : waveform;
  const int64_t batch = x.size(0), n = x.size(1), factor = o.sample_rate / o.envelope_rate;
  TORCH_CHECK(n > 0 && n % factor == 0, "cochleagram: the waveform's length ", n,
              " must be a positive multiple of sample_rate / envelope_rate = ", factor);
  const int64_t frames = n / factor, filters = o.num_filters;
  if (batch == 0) return torch::empty({0, filters, frames}, x.options());

  const CochleagramBank bank = cached_bank(n, o, x.device());
  const torch::Tensor spectrum = torch::fft::rfft(x).unsqueeze(1);  // [B, 1, N/2+1] complex64
  torch::Tensor envelope = torch::empty({batch, filters, frames}, x.options());
  const std::vector<CochleagramSlice> slices = cochleagram_slices(batch, filters, n, x.device().is_cpu());
  auto compute = [&](const CochleagramSlice& s) {
    // The analytic subbands: positive frequencies only, zero-padded to N by ifft's n.
    const torch::Tensor subbands =
        spectrum.narrow(0, s.row, s.rows) * bank.analytic_filters.narrow(0, s.filter, s.count);  // [r, g, N/2+1]
    const torch::Tensor hilbert = torch::fft::ifft(subbands, n, -1).abs();                     // [r, g, N]
    const torch::Tensor down = torch::conv1d(hilbert.reshape({s.rows * s.count, 1, n}), bank.window, {},
                                             /*stride=*/factor, /*padding=*/factor);  // [r * g, 1, N / D]
    envelope.narrow(0, s.row, s.rows).narrow(1, s.filter, s.count).copy_(down.view({s.rows, s.count, frames}));
  };
  if (x.device().is_cpu()) {
    // Ops inside at::parallel_for run single-threaded; grad mode is off there too.
    at::parallel_for(0, static_cast<int64_t>(slices.size()), 1, [&](int64_t begin, int64_t end) {
      torch::NoGradGuard no_grad;
      for (int64_t i = begin; i < end; ++i) compute(slices[static_cast<size_t>(i)]);
    });
  } else {
    for (const CochleagramSlice& s : slices) compute(s);
  }
  return envelope.clamp_min_(o.floor).pow_(o.power);
}

}  // namespace lrid

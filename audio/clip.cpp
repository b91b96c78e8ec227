// Fixed-length clips: crop/pad, noise at an SNR, RMS level. See clip.h.
#include "audio/clip.h"

#include <fmt/format.h>

#include <cmath>
#include <random>
#include <stdexcept>

#include "core/errors.h"

namespace lrid {
namespace {

// An offset uniform in [0, range] from `seed` (std::mt19937_64 and an explicit
// modulo reduction: std::uniform_int_distribution differs between libraries).
int64_t draw_offset(int64_t range, uint64_t seed) {
  if (range <= 0) return 0;
  std::mt19937_64 gen(seed);
  return static_cast<int64_t>(gen() % static_cast<uint64_t>(range + 1));
}

double energy(const std::vector<float>& x, size_t begin, size_t n) {
  double e = 0;
  for (size_t i = begin; i < begin + n; ++i) e += static_cast<double>(x[i]) * x[i];
  return e;
}

}  // namespace

std::vector<float> fit_to_length(const std::vector<float>& x, int64_t length, uint64_t seed) {
  if (length < 1) throw ConfigError(fmt::format("clip length must be >= 1 sample, got {}", length));
  const auto size = static_cast<int64_t>(x.size());
  std::vector<float> out(static_cast<size_t>(length), 0.0f);
  if (size >= length) {
    const int64_t offset = draw_offset(size - length, seed);
    std::copy(x.begin() + offset, x.begin() + offset + length, out.begin());
  } else {
    const int64_t offset = draw_offset(length - size, seed);
    std::copy(x.begin(), x.end(), out.begin() + offset);
  }
  return out;
}

std::vector<float> mix_at_snr(const std::vector<float>& x, const std::vector<float>& noise, double snr_db,
                              uint64_t seed) {
  if (!std::isfinite(snr_db)) throw ConfigError(fmt::format("noise SNR must be finite, got {}", snr_db));
  if (noise.size() < x.size())
    throw ConfigError(fmt::format("noise of {} samples is shorter than the clip ({})", noise.size(), x.size()));
  const auto offset = static_cast<size_t>(draw_offset(static_cast<int64_t>(noise.size() - x.size()), seed));
  const double signal = energy(x, 0, x.size()), noise_energy = energy(noise, offset, x.size());
  if (signal == 0 || noise_energy == 0) return x;
  const double gain = std::sqrt(signal / (noise_energy * std::pow(10.0, snr_db / 10.0)));
  std::vector<float> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = static_cast<float>(x[i] + gain * noise[offset + i]);
  return out;
}

std::vector<float> scale_to_rms(std::vector<float> x, double rms) {
  if (!(rms > 0) || !std::isfinite(rms)) throw ConfigError(fmt::format("target RMS must be > 0, got {}", rms));
  if (x.empty()) return x;
  const double current = std::sqrt(energy(x, 0, x.size()) / static_cast<double>(x.size()));
  if (current == 0) return x;
  const auto g = static_cast<float>(rms / current);
  for (float& v : x) v *= g;
  return x;
}

}  // namespace lrid

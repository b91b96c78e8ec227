// Resampling through libsoxr's one-shot API; this file only validates the rates,
// fixes the output length and maps libsoxr's error string to a DataError.
#include "audio/resample.h"

#include <soxr.h>

#include <cmath>

#include <fmt/format.h>

#include "core/errors.h"

namespace lrid {

std::vector<float> resample(const std::vector<float>& x, double from_rate, double to_rate) {
  if (!std::isfinite(from_rate) || from_rate <= 0) {
    throw ConfigError(fmt::format("resample: from_rate must be a finite number > 0 Hz, got {}", from_rate));
  }
  if (!std::isfinite(to_rate) || to_rate <= 0) {
    throw ConfigError(fmt::format("resample: to_rate must be a finite number > 0 Hz, got {}", to_rate));
  }
  if (from_rate == to_rate || x.empty()) return x;
  const double out_len = std::round(static_cast<double>(x.size()) * to_rate / from_rate);
  if (out_len > 1e10) {
    throw ConfigError(fmt::format("resample: {} samples from {} Hz to {} Hz would give {} samples", x.size(),
                                  from_rate, to_rate, out_len));
  }
  // Zero-initialised: should libsoxr stop a sample short of the rounded length, the tail stays 0.
  std::vector<float> y(static_cast<size_t>(out_len));
  if (y.empty()) return y;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  size_t in_done = 0, out_done = 0;
  const soxr_error_t error = soxr_oneshot(from_rate, to_rate, 1, x.data(), x.size(), &in_done, y.data(), y.size(),
                                          &out_done, &io, &quality, nullptr);
  if (error) throw DataError(fmt::format("resample {} Hz -> {} Hz: libsoxr failed: {}", from_rate, to_rate, error));
  return y;
}

}  // namespace lrid

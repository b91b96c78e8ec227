// Sample-rate conversion of mono float audio with libsoxr (high quality).
#pragma once
#include <vector>

namespace lrid {

// `x`, sampled at `from_rate` Hz, resampled to `to_rate` Hz by libsoxr's
// one-shot converter (SOXR_HQ: 20-bit precision, linear phase, passband to
// ~95% of the lower Nyquist frequency), float32 in and out. The output has
// round(n * to_rate / from_rate) samples, delay-compensated so sample i of the
// output is time i / to_rate. Equal rates return `x` unchanged. ConfigError
// when a rate is not a finite number > 0.
std::vector<float> resample(const std::vector<float>& x, double from_rate, double to_rate);

}  // namespace lrid

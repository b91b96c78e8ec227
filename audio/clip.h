// A fixed-length clip of a recording for the word task: cropped or zero-padded
// to the target length at a seeded offset, optionally mixed with background
// noise at a seeded signal-to-noise ratio, and scaled to a target RMS level.
// Each is a pure function of its inputs and a seed, so a file's clip (and its
// cached cochleagram) is the same in every run with the same data seed.
#pragma once
#include <cstdint>
#include <vector>

namespace lrid {

// `length` samples of x. A longer recording is cropped at an offset drawn
// uniformly from [0, size - length]; a shorter one is placed at an offset drawn
// uniformly from [0, length - size] in zeros. Draws come from `seed`.
std::vector<float> fit_to_length(const std::vector<float>& x, int64_t length, uint64_t seed);

// x + g * noise[offset, offset + x.size()) with g such that
// 10 log10(sum x^2 / sum (g noise)^2) = snr_db; the offset into `noise` (which
// must be at least as long as x) is drawn from `seed`. Silent x or silent noise:
// x unchanged.
std::vector<float> mix_at_snr(const std::vector<float>& x, const std::vector<float>& noise, double snr_db,
                              uint64_t seed);

// x scaled so that its root mean square is `rms`; silence stays silent.
std::vector<float> scale_to_rms(std::vector<float> x, double rms);

}  // namespace lrid

// audio/clip.h: crop/pad at seeded offsets, noise at an exact SNR, RMS scaling.
#include "audio/clip.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <set>

#include "core/errors.h"

namespace lrid {
namespace {

double power_of(const std::vector<float>& x) {
  double e = 0;
  for (float v : x) e += static_cast<double>(v) * v;
  return e;
}

TEST(Clip, LongerRecordingsAreCroppedAtASeededOffset) {
  std::vector<float> x(100);
  std::iota(x.begin(), x.end(), 0.0f);
  std::set<float> starts;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const std::vector<float> c = fit_to_length(x, 10, seed);
    ASSERT_EQ(c.size(), 10u);
    for (size_t i = 1; i < c.size(); ++i) EXPECT_EQ(c[i], c[0] + static_cast<float>(i));  // a contiguous window
    EXPECT_LE(c[0], 90.0f);
    starts.insert(c[0]);
  }
  EXPECT_GT(starts.size(), 20u);                      // offsets vary with the seed
  EXPECT_EQ(fit_to_length(x, 10, 7), fit_to_length(x, 10, 7));  // and are fixed by it
  EXPECT_EQ(fit_to_length(x, 100, 3), x);             // equal length: unchanged
}

TEST(Clip, ShorterRecordingsArePaddedWithZerosAroundThem) {
  const std::vector<float> x = {1, 2, 3};
  std::set<size_t> offsets;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    const std::vector<float> c = fit_to_length(x, 8, seed);
    ASSERT_EQ(c.size(), 8u);
    const size_t at = static_cast<size_t>(std::find(c.begin(), c.end(), 1.0f) - c.begin());
    ASSERT_LE(at, 5u);
    EXPECT_EQ(c[at + 1], 2.0f);
    EXPECT_EQ(c[at + 2], 3.0f);
    EXPECT_EQ(power_of(c), 14.0);  // only zeros around it
    offsets.insert(at);
  }
  EXPECT_EQ(offsets.size(), 6u);  // every offset 0..5 occurs
  EXPECT_THROW(fit_to_length(x, 0, 1), ConfigError);
}

TEST(Clip, NoiseIsMixedAtTheRequestedSnr) {
  std::vector<float> x(1000), noise(3000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.05f * static_cast<float>(i));
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = std::cos(1.3f * static_cast<float>(i * i % 97));
  for (double snr : {-5.0, 0.0, 10.0, 30.0}) {
    const std::vector<float> y = mix_at_snr(x, noise, snr, 11);
    std::vector<float> added(x.size());
    for (size_t i = 0; i < x.size(); ++i) added[i] = y[i] - x[i];
    EXPECT_NEAR(10 * std::log10(power_of(x) / power_of(added)), snr, 1e-3) << snr;
  }
  EXPECT_EQ(mix_at_snr(std::vector<float>(10, 0.0f), noise, 0, 1), std::vector<float>(10, 0.0f));  // silence stays
  EXPECT_THROW(mix_at_snr(x, std::vector<float>(10, 1.0f), 0, 1), ConfigError);  // noise shorter than the clip
}

TEST(Clip, ScaleToRmsHitsTheLevelAndKeepsSilence) {
  std::vector<float> x = {0.5f, -1.0f, 2.0f, 0.0f};
  const std::vector<float> y = scale_to_rms(x, 0.1);
  EXPECT_NEAR(std::sqrt(power_of(y) / 4), 0.1, 1e-7);
  EXPECT_NEAR(y[2] / y[0], 4.0, 1e-6);  // a gain, not a distortion
  EXPECT_EQ(scale_to_rms(std::vector<float>(5, 0.0f), 0.1), std::vector<float>(5, 0.0f));
  EXPECT_THROW(scale_to_rms(x, 0.0), ConfigError);
}

}  // namespace
}  // namespace lrid

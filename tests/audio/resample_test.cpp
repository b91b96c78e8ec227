// Resampling with libsoxr: a tone keeps its frequency (FFT peak), amplitude
// and phase; the output length is round(n * to / from); equal rates are the identity.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "audio/resample.h"
#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

std::vector<float> resample_test_tone(double hz, double rate, size_t n, double amplitude = 0.5) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = static_cast<float>(amplitude * std::sin(2 * M_PI * hz * i / rate));
  return x;
}

// The frequency (Hz) of the largest FFT bin of a Hann-windowed signal, and the
// signal's amplitude estimated from its RMS over the middle half (away from edge effects).
struct ResampledTone {
  double hz, amplitude;
};

ResampledTone estimate_resampled_tone(const std::vector<float>& y, double rate) {
  const auto n = static_cast<int64_t>(y.size());
  const torch::Tensor x = torch::tensor(y, torch::kFloat64);
  const torch::Tensor spectrum = torch::fft::rfft(x * torch::hann_window(n, torch::kFloat64)).abs();
  const double hz = static_cast<double>(spectrum.argmax().item<int64_t>()) * rate / static_cast<double>(n);
  const torch::Tensor middle = x.slice(0, n / 4, 3 * n / 4);
  return {hz, std::sqrt(2.0) * middle.square().mean().sqrt().item<double>()};
}

TEST(Resample, ToneKeepsFrequencyAmplitudeAndLengthFrom16kTo20k) {
  const std::vector<float> x = resample_test_tone(1000, 16000, 16000);  // 1 s
  const std::vector<float> y = resample(x, 16000, 20000);
  ASSERT_EQ(y.size(), 20000u);
  const ResampledTone t = estimate_resampled_tone(y, 20000);
  EXPECT_NEAR(t.hz, 1000, 1.0);  // 1 Hz bins
  EXPECT_NEAR(t.amplitude, 0.5, 0.005);
  // Delay-compensated: sample i is the tone at time i / 20 kHz.
  const std::vector<float> want = resample_test_tone(1000, 20000, 20000);
  for (size_t i = 5000; i < 15000; i += 997) EXPECT_NEAR(y[i], want[i], 1e-3) << i;
}

TEST(Resample, ToneKeepsFrequencyAmplitudeAndLengthFrom22050To20k) {
  const size_t n = 11025;  // 0.5 s
  const std::vector<float> x = resample_test_tone(1000, 22050, n);
  const std::vector<float> y = resample(x, 22050, 20000);
  ASSERT_EQ(y.size(), static_cast<size_t>(std::round(n * 20000.0 / 22050.0)));  // 10000
  const ResampledTone t = estimate_resampled_tone(y, 20000);
  EXPECT_NEAR(t.hz, 1000, 2.0);  // 2 Hz bins
  EXPECT_NEAR(t.amplitude, 0.5, 0.005);
}

TEST(Resample, OutputLengthIsRoundedRatio) {
  const std::vector<float> x = resample_test_tone(300, 16000, 1001);
  EXPECT_EQ(resample(x, 16000, 20000).size(), 1251u);  // 1251.25
  EXPECT_EQ(resample(x, 16000, 8000).size(), 501u);    // 500.5 rounds away from zero
  EXPECT_EQ(resample({0.5f}, 16000, 20000).size(), 1u);
  EXPECT_TRUE(resample({}, 16000, 20000).empty());
}

TEST(Resample, EqualRatesAreTheIdentity) {
  const std::vector<float> x = resample_test_tone(440, 20000, 777);
  EXPECT_EQ(resample(x, 20000, 20000), x);
}

TEST(Resample, RejectsNonPositiveOrNonFiniteRates) {
  const std::vector<float> x{0.0f, 1.0f};
  test::expect_error<ConfigError>([&] { resample(x, 0, 20000); }, "from_rate must be a finite number > 0 Hz, got 0");
  test::expect_error<ConfigError>([&] { resample(x, 16000, -1); }, "to_rate must be a finite number > 0 Hz, got -1");
  test::expect_error<ConfigError>([&] { resample(x, NAN, 16000); }, "from_rate");
}

}  // namespace
}  // namespace lrid

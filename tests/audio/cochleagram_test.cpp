// The cochleagram front end: against the NumPy reference's goldens
// (tests/audio/cochleagram_reference.py; max abs error < 1e-4 after
// compression, float32 against float64), and the definition's properties:
// filters, tones, silence, batching, linearity, validation.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "audio/cochleagram.h"
#include "core/errors.h"
#include "observables/array_io.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

constexpr double kCochleagramGoldenTolerance = 1e-4;

torch::Tensor cochleagram_golden(const std::string& name) {
  return read_npy(std::string(LRID_SOURCE_DIR) + "/tests/audio/golden/" + name);
}

// The golden file's CUSTOM options (cochleagram_reference.py).
CochleagramOptions custom_golden_options() {
  CochleagramOptions o;
  o.sample_rate = 16000;
  o.num_filters = 20;
  o.low_hz = 50;
  o.high_hz = 7000;
  o.envelope_rate = 400;
  o.power = 0.5;
  o.floor = 1e-6;
  return o;
}

// A sine of `hz` at the options' sample rate: float32 [samples].
torch::Tensor cochleagram_tone(double hz, int64_t samples, int64_t sample_rate, double amplitude = 0.5) {
  torch::Tensor t = torch::arange(samples, torch::kFloat64) / static_cast<double>(sample_rate);
  return (amplitude * torch::sin(2 * M_PI * hz * t)).to(torch::kFloat32);
}

// Seeded white noise plus a tone, float32 [rows, samples].
torch::Tensor cochleagram_noisy_tones(int64_t rows, int64_t samples, uint64_t seed) {
  torch::manual_seed(seed);
  return 0.1f * torch::randn({rows, samples}) + cochleagram_tone(700, samples, 20000);
}

double cochleagram_max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

TEST(CochleagramGolden, DefaultOptionsMatchNumpyReference) {
  const torch::Tensor x = cochleagram_golden("waveforms.npy").to(torch::kFloat32);  // [2, 4000]
  const torch::Tensor want = cochleagram_golden("cochleagram_default.npy");          // [2, 50, 40]
  const torch::Tensor got = cochleagram(x, {});
  ASSERT_EQ(got.sizes(), want.sizes());
  const double error = cochleagram_max_difference(got, want);
  RecordProperty("max_abs_error", fmt::format("{:.3e}", error));
  EXPECT_LT(error, kCochleagramGoldenTolerance);
}

TEST(CochleagramGolden, CustomOptionsMatchNumpyReference) {
  // The same samples read at 16 kHz: 20 filters, 400 Hz envelopes, power 0.5.
  const torch::Tensor x = cochleagram_golden("waveforms.npy").to(torch::kFloat32);  // [2, 4000]
  const torch::Tensor want = cochleagram_golden("cochleagram_custom.npy");           // [2, 20, 100]
  const torch::Tensor got = cochleagram(x, custom_golden_options());
  ASSERT_EQ(got.sizes(), want.sizes());
  const double error = cochleagram_max_difference(got, want);
  RecordProperty("max_abs_error", fmt::format("{:.3e}", error));
  EXPECT_LT(error, kCochleagramGoldenTolerance);
}

TEST(CochleagramGolden, FiltersAndCentresMatchNumpyReference) {
  const torch::Tensor filters = erb_cos_filters(200, {});  // [50, 101]
  EXPECT_LT(cochleagram_max_difference(filters, cochleagram_golden("filters_default_n200.npy")), 1e-12);
  // An odd length: no Nyquist bin.
  EXPECT_LT(cochleagram_max_difference(erb_cos_filters(201, custom_golden_options()),
                               cochleagram_golden("filters_custom_n201.npy")),
            1e-12);
  const std::vector<double> centres = filter_centre_hz({});
  EXPECT_LT(cochleagram_max_difference(torch::tensor(centres, torch::kFloat64),
                                       cochleagram_golden("centre_hz_default.npy")),
            1e-9);
  EXPECT_LT(cochleagram_max_difference(torch::tensor(filter_centre_hz(custom_golden_options()), torch::kFloat64),
                               cochleagram_golden("centre_hz_custom.npy")),
            1e-9);
}

TEST(CochleagramFilters, EachIsZeroOutsideItsBandAndPeaksAtOneNearItsCentre) {
  const CochleagramOptions o;
  const int64_t n = 20000;  // 1 Hz bins
  const torch::Tensor h = erb_cos_filters(n, o);
  ASSERT_EQ(h.sizes(), (std::vector<int64_t>{50, n / 2 + 1}));
  const std::vector<double> centres = filter_centre_hz(o);
  for (int64_t k = 0; k < o.num_filters; ++k) {
    // The band is (c_k, c_{k+2}): the neighbours' centres, or low_hz / high_hz at the ends.
    const double lo = k == 0 ? o.low_hz : centres[k - 1];
    const double hi = k == o.num_filters - 1 ? o.high_hz : centres[k + 1];
    const torch::Tensor row = h[k];
    const torch::Tensor hz = torch::arange(n / 2 + 1, torch::kFloat64);  // bin j is j Hz
    const torch::Tensor outside = hz.le(lo).logical_or(hz.ge(hi));
    EXPECT_EQ(row.masked_select(outside).abs().max().item<double>(), 0.0) << "filter " << k;
    EXPECT_GT(row.masked_select(outside.logical_not()).min().item<double>(), 0.0) << "filter " << k;
    const int64_t peak = row.argmax().item<int64_t>();
    EXPECT_NEAR(row.max().item<double>(), 1.0, 5e-3) << "filter " << k;
    EXPECT_LE(std::abs(static_cast<double>(peak) - centres[k]), 1.0) << "filter " << k;
    EXPECT_GE(row.min().item<double>(), 0.0);
  }
}

TEST(CochleagramFilters, NeighboursSquaredSumToOneInTheInterior) {
  // Between c_1 and c_n exactly two half-cosines overlap: cos^2 + sin^2 = 1.
  const CochleagramOptions o;
  const torch::Tensor h = erb_cos_filters(20000, o);  // 1 Hz bins
  const std::vector<double> centres = filter_centre_hz(o);
  const torch::Tensor power = h.square().sum(0);
  const auto first = static_cast<int64_t>(std::ceil(centres.front())), last = static_cast<int64_t>(centres.back());
  const torch::Tensor interior = power.slice(0, first, last + 1);
  EXPECT_LT((interior - 1).abs().max().item<double>(), 1e-12);
  // Below c_1 only filter 0 covers the spectrum (pycochleagram's low-pass edge filter is not part of the bank).
  EXPECT_LT(power[static_cast<int64_t>(o.low_hz) + 5].item<double>(), 1.0);
}

TEST(CochleagramFilters, CentresIncreaseStrictlyBetweenLowAndHigh) {
  const CochleagramOptions o;
  const std::vector<double> centres = filter_centre_hz(o);
  ASSERT_EQ(centres.size(), 50u);
  EXPECT_GT(centres.front(), o.low_hz);
  EXPECT_LT(centres.back(), o.high_hz);
  for (size_t k = 1; k < centres.size(); ++k) EXPECT_GT(centres[k], centres[k - 1]);
}

TEST(Cochleagram, OutputShapeIsBatchByFiltersByEnvelopeFrames) {
  const torch::Tensor batch = cochleagram(torch::zeros({3, 20000}), {});
  EXPECT_EQ(batch.sizes(), (std::vector<int64_t>{3, 50, 200}));
  EXPECT_EQ(batch.scalar_type(), torch::kFloat32);
  // A single waveform [N] is a batch of one.
  EXPECT_EQ(cochleagram(torch::zeros({500}), {}).sizes(), (std::vector<int64_t>{1, 50, 5}));
  EXPECT_EQ(cochleagram(torch::zeros({0, 500}), {}).sizes(), (std::vector<int64_t>{0, 50, 5}));
}

TEST(Cochleagram, PureToneIsLoudestInTheFilterWithTheNearestCentre) {
  const CochleagramOptions o;
  const std::vector<double> centres = filter_centre_hz(o);
  for (double hz : {250.0, 1000.0, 4000.0}) {
    const torch::Tensor c = cochleagram(cochleagram_tone(hz, 10000, o.sample_rate), o);  // [1, 50, 100]
    const int64_t loudest = c[0].mean(1).argmax().item<int64_t>();
    int64_t nearest = 0;
    for (size_t k = 0; k < centres.size(); ++k) {
      if (std::abs(centres[k] - hz) < std::abs(centres[nearest] - hz)) nearest = static_cast<int64_t>(k);
    }
    EXPECT_EQ(loudest, nearest) << hz << " Hz";
  }
}

TEST(Cochleagram, SilenceGivesTheCompressionFloorEverywhere) {
  CochleagramOptions o;
  const torch::Tensor c = cochleagram(torch::zeros({2, 4000}), o);
  const float floor_level = static_cast<float>(std::pow(o.floor, o.power));  // 1e-8^0.3 = 0.0040
  // One value everywhere, floor^power to float32 rounding.
  EXPECT_EQ(c.max().item<float>(), c.min().item<float>());
  EXPECT_NEAR(c.max().item<float>(), floor_level, 1e-6 * floor_level);
}

TEST(Cochleagram, BatchRowsAreIndependent) {
  // 1 s waveforms are computed in groups of filters, 0.1 s ones several waveforms at a time.
  for (int64_t samples : {20000, 2000}) {
    const torch::Tensor x = cochleagram_noisy_tones(7, samples, 5);
    const torch::Tensor batch = cochleagram(x, {});  // [7, 50, samples / 100]
    for (int64_t b = 0; b < 7; ++b) {
      EXPECT_LT(cochleagram_max_difference(batch[b], cochleagram(x[b], {})[0]), 1e-6)
          << samples << " samples, row " << b;
    }
  }
}

TEST(Cochleagram, EnvelopeScalesWithTheWaveform) {
  // power 1 and a negligible floor expose the envelope d_k, which is linear in |x|.
  CochleagramOptions o;
  o.power = 1;
  o.floor = 1e-30;
  const torch::Tensor x = cochleagram_noisy_tones(2, 4000, 9);
  const torch::Tensor base = cochleagram(x, o);
  for (float s : {3.0f, 0.25f}) {
    const torch::Tensor scaled = cochleagram(s * x, o);
    EXPECT_TRUE(torch::allclose(scaled, s * base, 1e-5, 1e-7)) << "scale " << s;
  }
}

TEST(Cochleagram, ConcurrentCallsOfSeveralLengthsAgreeWithSerialOnes) {
  // Threads share the filterbank cache: same results as one at a time.
  const std::vector<int64_t> lengths{2000, 3000, 2000, 4000};
  std::vector<torch::Tensor> inputs, serial, parallel(lengths.size());
  for (size_t i = 0; i < lengths.size(); ++i) {
    inputs.push_back(cochleagram_noisy_tones(1, lengths[i], 20 + i));
    serial.push_back(cochleagram(inputs[i], {}));
  }
  std::vector<std::thread> threads;
  for (size_t i = 0; i < lengths.size(); ++i) {
    threads.emplace_back([&inputs, &parallel, i] { parallel[i] = cochleagram(inputs[i], {}); });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < lengths.size(); ++i) EXPECT_TRUE(torch::equal(serial[i], parallel[i])) << lengths[i];
}

TEST(Cochleagram, RejectsEachInvalidOptionNamingIt) {
  struct Case {
    void (*mutate)(CochleagramOptions&);
    std::string needle;
  };
  const std::vector<Case> cases{
      {[](CochleagramOptions& o) { o.sample_rate = 0; }, "sample_rate must be > 0"},
      {[](CochleagramOptions& o) { o.num_filters = 0; }, "num_filters must be >= 1"},
      {[](CochleagramOptions& o) { o.low_hz = -1; }, "low_hz"},
      {[](CochleagramOptions& o) { o.low_hz = NAN; }, "low_hz"},
      {[](CochleagramOptions& o) { o.high_hz = 20; }, "high_hz must be a finite number > low_hz"},
      {[](CochleagramOptions& o) { o.high_hz = 10001; }, "above the Nyquist frequency"},
      {[](CochleagramOptions& o) { o.envelope_rate = 300; }, "envelope_rate must divide sample_rate"},
      {[](CochleagramOptions& o) { o.envelope_rate = 0; }, "envelope_rate"},
      {[](CochleagramOptions& o) { o.power = 0; }, "power must be"},
      {[](CochleagramOptions& o) { o.power = INFINITY; }, "power must be"},
      {[](CochleagramOptions& o) { o.floor = 0; }, "floor must be"},
  };
  for (const Case& c : cases) {
    CochleagramOptions o;
    c.mutate(o);
    test::expect_error<ConfigError>([&] { cochleagram(torch::zeros({200}), o); }, c.needle);
    test::expect_error<ConfigError>([&] { erb_cos_filters(200, o); }, c.needle);
  }
  // The limits themselves are valid: high_hz at Nyquist, low_hz 0, envelope_rate = sample_rate.
  CochleagramOptions edge;
  edge.low_hz = 0;
  edge.high_hz = 10000;
  edge.envelope_rate = 20000;
  EXPECT_EQ(cochleagram(torch::zeros({7}), edge).sizes(), (std::vector<int64_t>{1, 50, 7}));
  test::expect_error<ConfigError>([] { erb_cos_filters(0, {}); }, "num_samples must be > 0");
}

TEST(Cochleagram, RejectsBadWaveformsWithSpecificMessages) {
  const CochleagramOptions o;
  test::expect_error<c10::Error>([&] { cochleagram(torch::zeros({200}, torch::kFloat64), o); }, "must be float32");
  test::expect_error<c10::Error>([&] { cochleagram(torch::zeros({1, 1, 200}), o); }, "must be [N] or [B, N]");
  test::expect_error<c10::Error>([&] { cochleagram(torch::zeros({250}), o); }, "positive multiple of");
  test::expect_error<c10::Error>([&] { cochleagram(torch::zeros({2, 0}), o); }, "positive multiple of");
  test::expect_error<c10::Error>([&] { cochleagram(torch::Tensor(), o); }, "undefined");
}

TEST(Cochleagram, RunsOnCudaLikeOnCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const torch::Tensor x = cochleagram_golden("waveforms.npy").to(torch::kFloat32);
  const torch::Tensor gpu = cochleagram(x.to(torch::kCUDA), {});
  EXPECT_TRUE(gpu.device().is_cuda());
  EXPECT_LT(cochleagram_max_difference(gpu.cpu(), cochleagram_golden("cochleagram_default.npy")),
            kCochleagramGoldenTolerance);
}

}  // namespace
}  // namespace lrid

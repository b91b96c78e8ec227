// Audio files: write_wav's 16-bit round trip, read_audio on the formats
// libsndfile writes from the test (stereo, float, 24/32-bit, FLAC, AIFF), and one-line
// DataErrors naming the file for missing, non-audio, empty, truncated and
// non-finite input.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "audio/audio_file.h"
#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

// A slow sine plus the extremes, in [-1, 1): [n].
std::vector<float> audio_test_signal(size_t n) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = 0.8f * static_cast<float>(std::sin(0.05 * static_cast<double>(i)));
  x[0] = -1.0f;
  x[1] = 1.0f - 1.0f / 32768;
  return x;
}

// Writes interleaved `frames x channels` samples with libsndfile in `format`:
// floats as they are when bits == 0, else each rounded to `bits`-bit PCM and
// passed as the top bits of an int (libsndfile's own float-to-PCM scaling is
// by 2^(bits-1) - 1, its reading by 2^(bits-1)).
void write_with_sndfile(const fs::path& path, const std::vector<float>& interleaved, int channels, int format,
                        int bits = 0, int sample_rate = 16000) {
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = channels;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
  const sf_count_t frames = static_cast<sf_count_t>(interleaved.size()) / channels;
  if (bits == 0) {
    EXPECT_EQ(sf_writef_float(f, interleaved.data(), frames), frames);
  } else {
    const double scale = std::ldexp(1.0, bits - 1), top = scale - 1;
    std::vector<int> pcm;
    for (float v : interleaved) {
      const double q = std::clamp(std::nearbyint(v * scale), -scale, top);
      pcm.push_back(static_cast<int>(static_cast<int64_t>(q) * (int64_t{1} << (32 - bits))));
    }
    EXPECT_EQ(sf_writef_int(f, pcm.data(), frames), frames);
  }
  sf_close(f);
}

void truncate_audio_file(const fs::path& path, size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  ASSERT_GT(data.size(), bytes);
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(data.data(), static_cast<std::streamsize>(bytes));
}

double max_sample_difference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}

TEST(AudioFile, WriteWavRoundTripsWithinHalfAStep) {
  test::TempDir dir;
  const std::string path = (dir.path() / "tone.wav").string();
  const std::vector<float> x = audio_test_signal(1000);
  write_wav(path, x, 20000);
  const Audio a = read_audio(path);
  EXPECT_EQ(a.sample_rate, 20000);
  EXPECT_LE(max_sample_difference(a.samples, x), 0.5 / 32768);
  EXPECT_EQ(a.samples[0], -1.0f);  // the extremes are exact
  EXPECT_EQ(a.samples[1], 1.0f - 1.0f / 32768);
  EXPECT_FALSE(fs::exists(path + ".tmp" + std::to_string(getpid())));  // renamed into place
}

TEST(AudioFile, WriteWavClipsToTheInt16Range) {
  test::TempDir dir;
  const std::string path = (dir.path() / "loud.wav").string();
  write_wav(path, {1.5f, -2.0f, 0.25f}, 8000);
  EXPECT_EQ(read_audio(path).samples, (std::vector<float>{32767.0f / 32768, -1.0f, 0.25f}));
}

TEST(AudioFile, WriteWavRejectsBadRatesAndNonFiniteSamples) {
  test::TempDir dir;
  const std::string path = (dir.path() / "bad.wav").string();
  test::expect_error<ConfigError>([&] { write_wav(path, {0.0f}, 0); }, "sample rate 0 Hz");
  test::expect_error<ConfigError>([&] { write_wav(path, {0.0f, NAN}, 8000); }, "sample 1 is not finite");
  EXPECT_FALSE(fs::exists(path));
}

TEST(AudioFile, AveragesStereoToMono) {
  test::TempDir dir;
  const fs::path path = dir.path() / "stereo.wav";
  // Frames (left, right): the mean of each frame is what read_audio returns.
  const std::vector<float> interleaved{0.5f, -0.25f, 0.0f, 0.75f, -1.0f, -0.5f};
  write_with_sndfile(path, interleaved, 2, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 0, 44100);
  const Audio a = read_audio(path.string());
  EXPECT_EQ(a.sample_rate, 44100);
  EXPECT_EQ(a.samples, (std::vector<float>{0.125f, 0.375f, -0.75f}));
}

TEST(AudioFile, ReadsFloatPcm24Pcm32FlacAndAiffFiles) {
  test::TempDir dir;
  const std::vector<float> x = audio_test_signal(3000);
  struct Format {
    const char* name;
    int format;
    int bits;  // 0: float
  };
  const std::vector<Format> formats{{"float.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 0},
                                    {"pcm24.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 24},
                                    {"pcm32.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_32, 32},
                                    {"pcm16.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16},
                                    {"pcm16.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 16}};
  for (const Format& f : formats) {
    const fs::path path = dir.path() / f.name;
    write_with_sndfile(path, x, 1, f.format, f.bits);
    const Audio a = read_audio(path.string());
    EXPECT_EQ(a.sample_rate, 16000) << f.name;
    // Within half a step of the format (float: exact; 32-bit: float32's own rounding).
    const double half_step = f.bits == 0 ? 0.0 : std::max(std::ldexp(0.5, 1 - f.bits), std::ldexp(1.0, -25));
    EXPECT_LE(max_sample_difference(a.samples, x), half_step) << f.name;
  }
}

TEST(AudioFile, MissingFileIsDataErrorNamingIt) {
  test::TempDir dir;
  const std::string path = (dir.path() / "absent.wav").string();
  test::expect_error<DataError>([&] { read_audio(path); }, path + ": audio file does not exist");
}

TEST(AudioFile, RandomBytesAreDataErrorNamingTheFile) {
  test::TempDir dir;
  const std::string path = (dir.path() / "noise.wav").string();
  std::mt19937 rng(3);
  std::string bytes(2000, '\0');
  for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  test::expect_error<DataError>([&] { read_audio(path); }, path + ": not a readable audio file (");
}

TEST(AudioFile, EmptyWavIsDataError) {
  test::TempDir dir;
  const std::string path = (dir.path() / "empty.wav").string();
  write_wav(path, {}, 16000);
  test::expect_error<DataError>([&] { read_audio(path); }, path + ": empty audio file (0 frames)");
}

TEST(AudioFile, WavTruncatedInItsDataIsDataError) {
  // 1000 frames of 16-bit PCM = 44 header bytes + 2000 data bytes; keep 1200 bytes.
  test::TempDir dir;
  const std::string path = (dir.path() / "cut.wav").string();
  write_wav(path, audio_test_signal(1000), 16000);
  truncate_audio_file(path, 1200);
  const std::string want = path + ": truncated audio file: the header declares 2000 data bytes, the file holds 1156";
  test::expect_error<DataError>([&] { read_audio(path); }, want);
  // Cut one byte after the header: still truncated, not merely empty.
  truncate_audio_file(path, 45);
  test::expect_error<DataError>([&] { read_audio(path); }, path + ": truncated audio file");
}

TEST(AudioFile, WavTruncatedInItsHeaderIsDataError) {
  test::TempDir dir;
  const std::string path = (dir.path() / "header.wav").string();
  write_wav(path, audio_test_signal(100), 16000);
  truncate_audio_file(path, 30);
  test::expect_error<DataError>([&] { read_audio(path); }, path + ": not a readable audio file (");
}

TEST(AudioFile, NonFiniteFloatSampleIsDataError) {
  test::TempDir dir;
  const fs::path path = dir.path() / "nan.wav";
  write_with_sndfile(path, {0.1f, 0.2f, NAN, 0.3f}, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  test::expect_error<DataError>([&] { read_audio(path.string()); }, path.string() + ": non-finite sample at frame 2");
}

}  // namespace
}  // namespace lrid

// Reading and writing audio files with libsndfile: read_audio takes any format
// libsndfile reads (WAV PCM 16/24/32-bit or float, FLAC, AIFF, Ogg, ...) and
// returns mono float samples; write_wav writes 16-bit PCM WAV (tests, fixtures).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace lrid {

// A mono waveform: integer PCM is scaled to [-1, 1) (divided by 2^(bits-1));
// float files keep their values (they may exceed 1). sample_rate in Hz.
struct Audio {
  std::vector<float> samples;
  int64_t sample_rate = 0;
};

// The highest sample rate read_audio accepts (768 kHz is the highest in use).
inline constexpr int64_t kMaxAudioSampleRate = 1'000'000;

// The file's samples, channels averaged to mono. One-line DataError naming the
// file when it is missing or not an audio file (with libsndfile's reason), has
// no frames, a sample rate outside 1..kMaxAudioSampleRate, is truncated (a WAV
// whose header declares more data than the file holds, or a short read) or
// holds a NaN or infinite sample.
Audio read_audio(const std::string& path);

// Writes mono 16-bit PCM WAV, atomically (core/files.h): each sample is
// round(x * 32768) clipped to the int16 range, so read_audio gives it back to
// within half a step (2^-16) for x in [-1, 1 - 2^-15]. Zero samples give a
// valid empty WAV. ConfigError for a sample rate outside 1..kMaxAudioSampleRate
// or a non-finite sample; IoError naming `path` when it cannot be written.
void write_wav(const std::string& path, const std::vector<float>& samples, int64_t sample_rate);

}  // namespace lrid

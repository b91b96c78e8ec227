// Audio files through libsndfile. Two checks are added here because libsndfile
// does not make them errors: a WAV truncated inside its data chunk opens with
// the frames that are present (only its log says "data : N (should be M)"),
// and float files may hold NaN or infinite samples.
#include "audio/audio_file.h"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/files.h"

namespace lrid {
namespace {

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

// Frames read per sf_readf_float call: memory follows the data actually
// decoded, not a header's frame count (a corrupt header may claim 2^40).
constexpr sf_count_t kReadChunkFrames = 1 << 16;

// The data bytes a WAV-family header declares and the bytes present, from
// libsndfile's log line "data : N (should be M)"; false when the log has none.
bool logged_data_shortfall(SNDFILE* file, long long* declared, long long* present) {
  std::string log(1 << 14, '\0');
  sf_command(file, SFC_GET_LOG_INFO, log.data(), static_cast<int>(log.size()));
  std::istringstream lines(log.c_str());
  for (std::string line; std::getline(lines, line);) {
    if (std::sscanf(line.c_str(), "data : %lld (should be %lld)", declared, present) == 2) return true;
  }
  return false;
}

// A truncated WAV: declared data beyond the file's end. Streaming writers leave
// the size unknown (0 or 0xFFFFFFFF) and those files are read as they are.
void check_not_truncated(SNDFILE* file, const std::string& path) {
  long long declared = 0, present = 0;
  if (!logged_data_shortfall(file, &declared, &present)) return;
  if (declared == 0 || declared == 0xFFFFFFFFLL || present >= declared) return;
  throw DataError(fmt::format("{}: truncated audio file: the header declares {} data bytes, the file holds {}",
                              path, declared, present));
}

}  // namespace

Audio read_audio(const std::string& path) {
  if (!std::filesystem::exists(path)) throw DataError(fmt::format("{}: audio file does not exist", path));
  SF_INFO info{};
  SndfilePtr file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) throw DataError(fmt::format("{}: not a readable audio file ({})", path, sf_strerror(nullptr)));
  if (info.samplerate <= 0 || info.samplerate > kMaxAudioSampleRate) {
    throw DataError(fmt::format("{}: sample rate {} Hz is outside 1..{} Hz", path, info.samplerate,
                                kMaxAudioSampleRate));
  }
  if (info.channels <= 0) throw DataError(fmt::format("{}: {} channels", path, info.channels));
  check_not_truncated(file.get(), path);
  if (info.frames == 0) throw DataError(fmt::format("{}: empty audio file (0 frames)", path));

  // libsndfile reports an unknown length (a pipe, some streams) as SF_COUNT_MAX.
  const bool known_length = info.frames > 0 && info.frames != SF_COUNT_MAX;
  const int64_t channels = info.channels;
  Audio audio;
  audio.sample_rate = info.samplerate;
  std::vector<float> chunk(static_cast<size_t>(kReadChunkFrames * channels));
  int64_t frames_read = 0;
  while (!known_length || frames_read < info.frames) {
    const sf_count_t want = known_length ? std::min(kReadChunkFrames, info.frames - frames_read) : kReadChunkFrames;
    const sf_count_t got = sf_readf_float(file.get(), chunk.data(), want);
    if (got <= 0) break;
    for (sf_count_t i = 0; i < got; ++i) {
      float sum = 0;
      for (int64_t c = 0; c < channels; ++c) sum += chunk[static_cast<size_t>(i * channels + c)];
      const float mono = channels == 1 ? sum : sum / static_cast<float>(channels);
      if (!std::isfinite(mono)) {
        throw DataError(fmt::format("{}: non-finite sample at frame {}", path, frames_read + i));
      }
      audio.samples.push_back(mono);
    }
    frames_read += got;
  }
  if (sf_error(file.get()) != SF_ERR_NO_ERROR) {
    throw DataError(fmt::format("{}: read error after {} frames ({})", path, frames_read, sf_strerror(file.get())));
  }
  if (known_length && frames_read < info.frames) {
    throw DataError(fmt::format("{}: truncated audio file: {} of {} frames could be read", path, frames_read,
                                info.frames));
  }
  if (frames_read == 0) throw DataError(fmt::format("{}: empty audio file (0 frames)", path));
  return audio;
}

void write_wav(const std::string& path, const std::vector<float>& samples, int64_t sample_rate) {
  if (sample_rate <= 0 || sample_rate > kMaxAudioSampleRate) {
    throw ConfigError(fmt::format("write_wav {}: sample rate {} Hz is outside 1..{} Hz", path, sample_rate,
                                  kMaxAudioSampleRate));
  }
  std::vector<int16_t> pcm(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    if (!std::isfinite(samples[i])) {
      throw ConfigError(fmt::format("write_wav {}: sample {} is not finite", path, i));
    }
    const double v = std::nearbyint(static_cast<double>(samples[i]) * 32768.0);
    pcm[i] = static_cast<int16_t>(std::clamp(v, -32768.0, 32767.0));
  }
  const fs::path tmp = temporary_path(path);
  SF_INFO info{};
  info.samplerate = static_cast<int>(sample_rate);
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* file = sf_open(tmp.c_str(), SFM_WRITE, &info);
  if (!file) throw IoError(fmt::format("{}: cannot write ({})", path, sf_strerror(nullptr)));
  const auto frames = static_cast<sf_count_t>(pcm.size());
  const sf_count_t written = frames == 0 ? 0 : sf_writef_short(file, pcm.data(), frames);
  const std::string reason = sf_strerror(file);
  const int closed = sf_close(file);
  if (written != frames || closed != 0) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw IoError(fmt::format("{}: write failed ({})", path, reason));
  }
  commit_file(tmp, path);
}

}  // namespace lrid

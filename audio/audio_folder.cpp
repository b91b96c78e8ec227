// A folder of spoken words as cochleagram images. See audio_folder.h.
#include "audio/audio_folder.h"

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <openssl/sha.h>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>

#include "audio/audio_file.h"
#include "audio/clip.h"
#include "audio/resample.h"
#include "audio/word_split.h"
#include "core/errors.h"
#include "core/files.h"
#include "core/progress.h"
#include "core/seeding.h"
#include "core/warning.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNoiseFolder = "_background_noise_";
constexpr const char* kCacheMagic = "LRIDCOCH1";

std::string sha1_hex(const std::string& text) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), d);
  std::string out;
  for (unsigned char c : d) out += fmt::format("{:02x}", c);
  return out;
}

// A stable 64-bit value of a string (the first 8 bytes of its SHA-1).
uint64_t stable_hash(const std::string& text) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), d);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | d[i];
  return v;
}

bool is_audio_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".wav" || ext == ".flac";
}

// Audio files directly inside `dir`, as "<folder name>/<file>", sorted.
std::vector<std::string> audio_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && is_audio_file(e.path()))
      out.push_back(dir.filename().string() + "/" + e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

int64_t frames_of(const AudioFolderOptions& o) {
  return std::llround(o.duration_s * static_cast<double>(o.cochleagram.envelope_rate));
}
int64_t samples_of(const AudioFolderOptions& o) {
  return frames_of(o) * (o.cochleagram.sample_rate / o.cochleagram.envelope_rate);
}

double uniform01(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

// Gaussian samples by Box-Muller on mt19937_64 (std::normal_distribution differs between libraries).
std::vector<float> white_noise(int64_t n, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::vector<float> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i += 2) {
    const double u1 = 1.0 - uniform01(g), u2 = uniform01(g), r = std::sqrt(-2.0 * std::log(u1));
    out[static_cast<size_t>(i)] = static_cast<float>(r * std::cos(2 * M_PI * u2));
    if (i + 1 < n) out[static_cast<size_t>(i + 1)] = static_cast<float>(r * std::sin(2 * M_PI * u2));
  }
  return out;
}

// A recording at the cochleagram's rate, as mono float samples.
std::vector<float> read_at_rate(const std::string& path, const AudioFolderOptions& o) {
  Audio a = read_audio(path);
  return resample(a.samples, static_cast<double>(a.sample_rate), static_cast<double>(o.cochleagram.sample_rate));
}

// One file's clip: fitted to length, noise mixed in (maybe), scaled to the RMS level.
std::vector<float> clip_of(const AudioFolderOptions& o, const std::string& relative, bool add_noise,
                           const std::vector<std::vector<float>>& noise) {
  const int64_t n = samples_of(o);
  const uint64_t file_seed = mix_seed(static_cast<uint64_t>(o.seed), stable_hash(relative));
  std::vector<float> x = fit_to_length(read_at_rate((fs::path(o.root) / relative).string(), o), n,
                                       mix_seed(file_seed, 1));
  if (add_noise && o.noise != "none") {
    std::mt19937_64 g(mix_seed(file_seed, 2));
    if (uniform01(g) < o.noise_prob) {
      const double snr = o.snr_min_db + (o.snr_max_db - o.snr_min_db) * uniform01(g);
      std::vector<float> source;
      if (noise.empty()) {
        source = white_noise(n, mix_seed(file_seed, 3));
      } else {
        source = noise[g() % noise.size()];
        // A recording shorter than the clip is repeated.
        while (static_cast<int64_t>(source.size()) < n) source.insert(source.end(), source.begin(), source.end());
      }
      x = mix_at_snr(x, source, snr, mix_seed(file_seed, 4));
    }
  }
  return scale_to_rms(std::move(x), o.rms);
}

// Compressed cochleagram values [B, F, T] -> uint8 pixels.
torch::Tensor to_pixels(const torch::Tensor& c, double max_level) {
  return c.div(max_level).clamp_(0.0, 1.0).mul_(255.0).round_().to(torch::kUInt8);
}

std::string default_cache_dir() {
  if (const char* c = std::getenv("LRID_CACHE"); c != nullptr && *c != '\0') return (fs::path(c) / "cochleagrams").string();
  const char* home = std::getenv("HOME");
  return (fs::path(home != nullptr ? home : "/tmp") / ".cache" / "lrid" / "cochleagrams").string();
}

// The cache file of one split: named by a digest of every option that shapes the
// images and of each file's path, size and modification time.
fs::path cache_path(const AudioFolderOptions& o, const std::vector<WordFile>& files, bool add_noise) {
  const CochleagramOptions& c = o.cochleagram;
  std::ostringstream key;
  key << kCacheMagic << '\n'
      << fmt::format("{} {} {} {} {} {} {} {}\n", o.duration_s, o.rms, add_noise ? o.noise : "none", o.noise_prob,
                     o.snr_min_db, o.snr_max_db, o.max_level, o.seed)
      << fmt::format("{} {} {} {} {} {} {}\n", c.sample_rate, c.num_filters, c.low_hz, c.high_hz, c.envelope_rate,
                     c.power, c.floor);
  const fs::path root(o.root);
  for (const auto& f : files) {
    std::error_code ec;
    const auto size = fs::file_size(root / f.relative, ec);
    const auto time = fs::last_write_time(root / f.relative, ec).time_since_epoch().count();
    key << f.relative << ' ' << f.label << ' ' << size << ' ' << time << '\n';
  }
  const std::string dir = o.cache_dir.empty() ? default_cache_dir() : o.cache_dir;
  return fs::path(dir) / (sha1_hex(fs::absolute(root).string() + '\n' + key.str()) + ".u8");
}

// A cached [N, 1, F, T] uint8 tensor, or an undefined one when absent or not of that shape.
torch::Tensor read_cache(const fs::path& path, int64_t n, int64_t f, int64_t t) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return {};
  const std::string header = fmt::format("{} {} {} {}\n", kCacheMagic, n, f, t);
  std::string bytes;
  try {
    bytes = read_file(path);
  } catch (const Error&) {
    return {};
  }
  if (bytes.size() != header.size() + static_cast<size_t>(n * f * t) || bytes.compare(0, header.size(), header) != 0)
    return {};
  torch::Tensor out = torch::empty({n, 1, f, t}, torch::kUInt8);
  std::memcpy(out.data_ptr<uint8_t>(), bytes.data() + header.size(), static_cast<size_t>(n * f * t));
  return out;
}

void write_cache(const fs::path& path, const torch::Tensor& images) {
  const torch::Tensor c = images.contiguous();
  std::string bytes = fmt::format("{} {} {} {}\n", kCacheMagic, c.size(0), c.size(2), c.size(3));
  bytes.append(reinterpret_cast<const char*>(c.data_ptr<uint8_t>()), static_cast<size_t>(c.numel()));
  try {
    ensure_directory(path.parent_path());
    write_file_atomic(path, bytes);
  } catch (const Error& e) {
    // The cache only saves time: the images are in memory already.
    warn(fmt::format("cochleagram cache not written: {}", e.what()));
  }
}

torch::Tensor compute_images(const AudioFolderOptions& o, const std::vector<WordFile>& files, bool add_noise,
                             const std::vector<std::vector<float>>& noise, const std::string& split_name) {
  const auto n = static_cast<int64_t>(files.size());
  const int64_t f = o.cochleagram.num_filters, t = frames_of(o), samples = samples_of(o);
  torch::Tensor out = torch::empty({n, 1, f, t}, torch::kUInt8);
  Progress progress(fmt::format("cochleagrams of {} ({} files)", split_name, n), n);
  // Clips are read in parallel; each chunk's cochleagrams are one batched FFT
  // (32 clips of 1 s: 32 x 50 x 20000 complex values, 256 MB at the peak).
  constexpr int64_t kChunk = 32;
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t m = std::min(kChunk, n - start);
    torch::Tensor wave = torch::empty({m, samples}, torch::kFloat32);
    at::parallel_for(0, m, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const std::vector<float> clip = clip_of(o, files[static_cast<size_t>(start + i)].relative, add_noise, noise);
        std::memcpy(wave[i].data_ptr<float>(), clip.data(), sizeof(float) * clip.size());
      }
    });
    out.narrow(0, start, m).copy_(to_pixels(cochleagram(wave, o.cochleagram), o.max_level).unsqueeze(1));
    progress.update(start + m);
  }
  progress.finish();
  return out;
}

torch::Tensor split_images(const AudioFolderOptions& o, const std::vector<WordFile>& files, bool add_noise,
                           const std::vector<std::vector<float>>& noise, const std::string& split_name) {
  const auto n = static_cast<int64_t>(files.size());
  const int64_t f = o.cochleagram.num_filters, t = frames_of(o);
  const bool cached = o.cache_dir != "none";
  const fs::path path = cached ? cache_path(o, files, add_noise) : fs::path();
  if (cached) {
    torch::Tensor hit = read_cache(path, n, f, t);
    if (hit.defined()) return hit;
  }
  torch::Tensor images = compute_images(o, files, add_noise, noise, split_name);
  if (cached) write_cache(path, images);
  return images;
}

std::shared_ptr<DataSplit> make_split(const torch::Tensor& images, const std::vector<WordFile>& files) {
  std::vector<int64_t> labels;
  labels.reserve(files.size());
  for (const auto& f : files) labels.push_back(f.label);
  return make_memory_split(images, torch::tensor(labels, torch::kInt64));
}

}  // namespace

void validate(const AudioFolderOptions& o) {
  const CochleagramOptions& c = o.cochleagram;
  if (!(o.duration_s > 0) || !std::isfinite(o.duration_s))
    throw ConfigError(fmt::format("data.parameters.duration: must be > 0 seconds, got {}", o.duration_s));
  if (c.envelope_rate < 1 || c.sample_rate < 1 || c.sample_rate % c.envelope_rate != 0)
    throw ConfigError(fmt::format("data.parameters: the audio rate {} Hz must be a multiple of the envelope rate {} Hz",
                                  c.sample_rate, c.envelope_rate));
  const double frames = o.duration_s * static_cast<double>(c.envelope_rate);
  if (std::abs(frames - std::round(frames)) > 1e-9 || frames < 1)
    throw ConfigError(fmt::format("data.parameters.duration: {} s is not a whole number of {} Hz envelope frames",
                                  o.duration_s, c.envelope_rate));
  if (!(o.rms > 0) || !std::isfinite(o.rms))
    throw ConfigError(fmt::format("data.parameters.rms: must be > 0, got {}", o.rms));
  if (o.split != "hash" && o.split != "lists")
    throw ConfigError(fmt::format("data.parameters.split: '{}' is not one of hash, lists", o.split));
  if (!(o.validation_percent >= 0 && o.test_percent > 0 && o.validation_percent + o.test_percent < 100))
    throw ConfigError(fmt::format("data.parameters.validation_percent/test_percent: need >= 0, > 0 and a sum "
                                  "below 100, got {} and {}", o.validation_percent, o.test_percent));
  if (o.noise != "none" && o.noise != "white" && o.noise != "background")
    throw ConfigError(fmt::format("data.parameters.noise: '{}' is not one of none, white, background", o.noise));
  if (!(o.noise_prob >= 0 && o.noise_prob <= 1))
    throw ConfigError(fmt::format("data.parameters.noise_prob: must be in [0, 1], got {}", o.noise_prob));
  if (!std::isfinite(o.snr_min_db) || !std::isfinite(o.snr_max_db) || o.snr_min_db > o.snr_max_db)
    throw ConfigError(fmt::format("data.parameters.snr_min_db/snr_max_db: need finite values, min <= max, got {} "
                                  "and {}", o.snr_min_db, o.snr_max_db));
  if (!(o.max_level > 0) || !std::isfinite(o.max_level))
    throw ConfigError(fmt::format("data.parameters.max_level: must be > 0, got {}", o.max_level));
  if (o.seed < 0) throw ConfigError(fmt::format("data.parameters.seed: must be >= 0, got {}", o.seed));
  c.validate();
}

WordFolder list_word_folder(const AudioFolderOptions& o) {
  const fs::path root(o.root);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw DataError(fmt::format("{}: no such folder (a spoken-word folder root)", o.root));
  WordFolder out;
  for (const auto& e : fs::directory_iterator(root)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory() && !name.empty() && name[0] != '_' && name[0] != '.') out.words.push_back(name);
  }
  std::sort(out.words.begin(), out.words.end());
  if (out.words.size() < 2)
    throw DataError(fmt::format("{}: needs at least 2 word folders (<root>/<word>/*.wav), found {}", o.root,
                                out.words.size()));
  std::set<std::string> validation, testing;
  if (o.split == "lists") {
    validation = read_file_list((root / "validation_list.txt").string());
    testing = read_file_list((root / "testing_list.txt").string());
  }
  for (size_t label = 0; label < out.words.size(); ++label) {
    const std::vector<std::string> files = audio_files(root / out.words[label]);
    if (files.empty())
      throw DataError(fmt::format("{}: no .wav or .flac file", (root / out.words[label]).string()));
    for (const auto& relative : files) {
      WordSet set = WordSet::kTraining;
      if (o.split == "lists")
        set = validation.count(relative) ? WordSet::kValidation : testing.count(relative) ? WordSet::kTesting
                                                                                             : WordSet::kTraining;
      else
        set = hash_set(relative, o.validation_percent, o.test_percent);
      const WordFile f{relative, static_cast<int64_t>(label)};
      if (set == WordSet::kTraining) out.train.push_back(f);
      if (set == WordSet::kTesting) out.test.push_back(f);
    }
  }
  // Classes interleaved, so that a train_limit or test_limit keeps every word.
  for (auto* files : {&out.train, &out.test})
    std::sort(files->begin(), files->end(), [](const WordFile& a, const WordFile& b) {
      const uint64_t ha = stable_hash(a.relative), hb = stable_hash(b.relative);
      return ha != hb ? ha < hb : a.relative < b.relative;
    });
  if (out.train.empty() || out.test.empty())
    throw DataError(fmt::format("{}: the {} split leaves no {} file", o.root, o.split,
                                out.train.empty() ? "training" : "test"));
  if (fs::is_directory(root / kNoiseFolder, ec)) {
    for (const auto& e : fs::directory_iterator(root / kNoiseFolder))
      if (e.is_regular_file() && is_audio_file(e.path())) out.noise_files.push_back(e.path().string());
    std::sort(out.noise_files.begin(), out.noise_files.end());
  }
  return out;
}

torch::Tensor word_image(const AudioFolderOptions& o, const std::string& relative, bool add_noise,
                         const std::vector<std::vector<float>>& noise) {
  validate(o);
  const std::vector<float> clip = clip_of(o, relative, add_noise, noise);
  torch::Tensor wave = torch::from_blob(const_cast<float*>(clip.data()), {1, static_cast<int64_t>(clip.size())},
                                        torch::kFloat32);
  return to_pixels(cochleagram(wave, o.cochleagram), o.max_level);  // [1, F, T]
}

ImageData load_audio_folder(const AudioFolderOptions& o) {
  validate(o);
  const WordFolder folder = list_word_folder(o);
  std::vector<std::vector<float>> noise;
  if (o.noise == "background") {
    if (folder.noise_files.empty())
      throw DataError(fmt::format("{}: noise: background needs recordings in {}/", o.root, kNoiseFolder));
    for (const auto& path : folder.noise_files) noise.push_back(read_at_rate(path, o));
  }
  ImageData d;
  d.name = "audio_folder";
  d.class_names = folder.words;
  d.num_classes = static_cast<int64_t>(folder.words.size());
  d.train = make_split(split_images(o, folder.train, true, noise, "train"), folder.train);
  d.test = make_split(split_images(o, folder.test, o.noise_on_test, noise, "test"), folder.test);
  return d;
}

}  // namespace lrid

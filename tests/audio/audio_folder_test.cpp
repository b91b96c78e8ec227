// audio/audio_folder.h on folders the test writes: tones of a different pitch
// per word, several speakers each. Checks the layout rules (classes, the
// _background_noise_ folder, interleaved order), Speech Commands' splits (hash
// and lists), clips and images as the options say, the disk cache (hit,
// invalidation), and the one-line errors for a bad folder or file.
#include "audio/audio_folder.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <set>

#include "audio/audio_file.h"
#include "audio/word_split.h"
#include "core/errors.h"
#include "core/files.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

// `seconds` of a tone at `hz` sampled at `rate`, amplitude 0.3.
std::vector<float> tone(double hz, double seconds, int64_t rate) {
  std::vector<float> x(static_cast<size_t>(seconds * static_cast<double>(rate)));
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(0.3 * std::sin(2 * M_PI * hz * static_cast<double>(i) / static_cast<double>(rate)));
  return x;
}

// root/<word>/<speaker>_nohash_<k>.wav for words low (300 Hz), mid (1 kHz), high
// (3 kHz); 12 speakers, 2 utterances each, 0.4-0.6 s at 16 kHz (resampled on load).
struct WordFolderFixture {
  test::TempDir dir{"words"}, cache{"cache"};
  std::map<std::string, double> pitch = {{"high", 3000}, {"low", 300}, {"mid", 1000}};
  WordFolderFixture() {
    for (const auto& [word, hz] : pitch) {
      fs::create_directories(dir.path() / word);
      for (int s = 0; s < 12; ++s)
        for (int k = 0; k < 2; ++k)
          write_wav((dir.path() / word / fmt::format("spk{}_nohash_{}.wav", s, k)).string(),
                    tone(hz, 0.4 + 0.1 * k + 0.01 * s, 16000), 16000);
    }
    fs::create_directories(dir.path() / "_background_noise_");
    write_wav((dir.path() / "_background_noise_" / "hum.wav").string(), tone(60, 2.0, 16000), 16000);
  }
  AudioFolderOptions options() const {
    AudioFolderOptions o;
    o.root = dir.path().string();
    o.duration_s = 0.5;
    o.validation_percent = 20;
    o.test_percent = 30;
    o.cache_dir = cache.path().string();
    return o;
  }
};

TEST(AudioFolder, ClassesAreSortedWordFoldersAndSpeakersStayInOneSplit) {
  WordFolderFixture f;
  const WordFolder folder = list_word_folder(f.options());
  EXPECT_EQ(folder.words, (std::vector<std::string>{"high", "low", "mid"}));  // not _background_noise_
  ASSERT_EQ(folder.noise_files.size(), 1u);
  std::map<std::string, std::string> split_of_speaker;
  std::set<int64_t> train_labels, test_labels;
  size_t total = 0;
  for (const auto& [files, name] : {std::pair{&folder.train, "train"}, std::pair{&folder.test, "test"}}) {
    for (const auto& file : *files) {
      EXPECT_EQ(folder.words[static_cast<size_t>(file.label)], file.relative.substr(0, file.relative.find('/')));
      const std::string speaker = speaker_id(file.relative);
      EXPECT_TRUE(split_of_speaker.emplace(speaker, name).first->second == name) << speaker << " in both splits";
      (std::string(name) == "train" ? train_labels : test_labels).insert(file.label);
      ++total;
    }
  }
  EXPECT_EQ(train_labels.size(), 3u);
  EXPECT_EQ(test_labels.size(), 3u);
  EXPECT_LT(total, 72u);  // the validation speakers are left out
  // Classes interleave (a train_limit keeps every word): the first 6 hold 2+ words.
  std::set<int64_t> first;
  for (size_t i = 0; i < 6; ++i) first.insert(folder.train[i].label);
  EXPECT_GE(first.size(), 2u);
}

TEST(AudioFolder, ListsSplitAsTheFolderSays) {
  WordFolderFixture f;
  std::ofstream(f.dir.path() / "validation_list.txt") << "low/spk0_nohash_0.wav\n";
  std::ofstream(f.dir.path() / "testing_list.txt") << "low/spk1_nohash_0.wav\nhigh/spk1_nohash_1.wav\n";
  AudioFolderOptions o = f.options();
  o.split = "lists";
  const WordFolder folder = list_word_folder(o);
  ASSERT_EQ(folder.test.size(), 2u);
  EXPECT_EQ(folder.train.size(), 72u - 3u);
  std::set<std::string> test;
  for (const auto& w : folder.test) test.insert(w.relative);
  EXPECT_EQ(test, (std::set<std::string>{"low/spk1_nohash_0.wav", "high/spk1_nohash_1.wav"}));
}

TEST(AudioFolder, ImagesAreCochleagramsWhoseLoudestBandFollowsThePitch) {
  WordFolderFixture f;
  AudioFolderOptions o = f.options();
  o.cache_dir = "none";
  const ImageData d = load_audio_folder(o);
  EXPECT_EQ(d.num_classes, 3);
  EXPECT_EQ(d.train->channels(), 1);
  EXPECT_EQ(d.train->height(), 50);
  EXPECT_EQ(d.train->width(), 100);  // 0.5 s at 200 Hz
  // The band with the most energy rises with the word's pitch (high > mid > low).
  std::map<int64_t, double> band;
  std::map<int64_t, int> count;
  std::vector<int64_t> all(static_cast<size_t>(d.train->size()));
  std::iota(all.begin(), all.end(), 0);
  const torch::Tensor images = d.train->images(all).to(torch::kFloat32);  // [N, 1, 50, 100]
  const torch::Tensor peak = images.sum(3).squeeze(1).argmax(1);          // [N]
  for (int64_t i = 0; i < d.train->size(); ++i) {
    const int64_t label = d.train->labels()[i].item<int64_t>();
    band[label] += peak[i].item<int64_t>();
    ++count[label];
  }
  const double high = band[0] / count[0], low = band[1] / count[1], mid = band[2] / count[2];
  EXPECT_GT(high, mid + 5);
  EXPECT_GT(mid, low + 5);
  // Same options, same pixels (a pure function of the files and the seed).
  const torch::Tensor again = load_audio_folder(o).train->images(all);
  EXPECT_TRUE(torch::equal(again, d.train->images(all)));
}

TEST(AudioFolder, NoiseChangesTrainingClipsOnlyAndTheSeedChangesOffsets) {
  WordFolderFixture f;
  AudioFolderOptions o = f.options();
  o.cache_dir = "none";
  const ImageData clean = load_audio_folder(o);
  o.noise = "white";
  o.snr_min_db = o.snr_max_db = 0;
  const ImageData noisy = load_audio_folder(o);
  std::vector<int64_t> all_test(static_cast<size_t>(clean.test->size()));
  std::iota(all_test.begin(), all_test.end(), 0);
  EXPECT_TRUE(torch::equal(clean.test->images(all_test), noisy.test->images(all_test)));  // noise_on_test: false
  EXPECT_FALSE(torch::equal(clean.train->images({0, 1, 2}), noisy.train->images({0, 1, 2})));
  o.noise = "background";
  EXPECT_FALSE(torch::equal(load_audio_folder(o).train->images({0, 1, 2}), noisy.train->images({0, 1, 2})));
  o.noise = "none";
  o.seed = 5;
  EXPECT_FALSE(torch::equal(load_audio_folder(o).train->images({0, 1, 2}), clean.train->images({0, 1, 2})));
}

TEST(AudioFolder, TheDiskCacheIsUsedAndAChangedFileInvalidatesIt) {
  WordFolderFixture f;
  const AudioFolderOptions o = f.options();
  const ImageData first = load_audio_folder(o);
  std::vector<fs::path> caches;
  for (const auto& e : fs::directory_iterator(o.cache_dir)) caches.push_back(e.path());
  ASSERT_EQ(caches.size(), 2u);  // train and test
  // Overwrite the cached pixels (keeping the header): the next load returns them.
  for (const auto& path : caches) {
    std::string bytes = read_file(path);
    std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(bytes.find('\n') + 1), bytes.end(), '\x07');
    write_file_atomic(path, bytes);
  }
  EXPECT_EQ(load_audio_folder(o).train->images({0}).max().item<int>(), 7);
  // A changed recording gives another cache name: recomputed, right pixels again.
  write_wav((f.dir.path() / list_word_folder(o).train[5].relative).string(), tone(310, 0.4, 16000), 16000);
  const ImageData changed = load_audio_folder(o);
  EXPECT_GT(changed.train->images({0}).max().item<int>(), 7);
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(o.cache_dir)) files += e.is_regular_file();
  EXPECT_GE(files, 3u);
}

TEST(AudioFolder, BadFoldersFilesAndOptionsAreOneLineErrors) {
  WordFolderFixture f;
  AudioFolderOptions o = f.options();
  o.cache_dir = "none";
  // An unreadable recording: the error names it.
  const fs::path bad = f.dir.path() / "mid" / "spk3_nohash_0.wav";
  std::ofstream(bad, std::ios::trunc) << "not audio";
  test::expect_error<DataError>([&] { load_audio_folder(o); }, bad.string());
  fs::remove(bad);
  // A word folder without audio files.
  fs::create_directories(f.dir.path() / "empty");
  test::expect_error<DataError>([&] { list_word_folder(o); }, "empty: no .wav or .flac file");
  fs::remove(f.dir.path() / "empty");
  // Lists missing.
  o.split = "lists";
  test::expect_error<DataError>([&] { list_word_folder(o); }, "validation_list.txt: cannot read the file list");
  o.split = "hash";
  // No such root; one word only.
  AudioFolderOptions nowhere = o;
  nowhere.root = (f.dir.path() / "nowhere").string();
  test::expect_error<DataError>([&] { list_word_folder(nowhere); }, "nowhere: no such folder");
  test::TempDir one("one_word");
  fs::create_directories(one.path() / "yes");
  AudioFolderOptions single = o;
  single.root = one.path().string();
  test::expect_error<DataError>([&] { list_word_folder(single); }, "needs at least 2 word folders");
  // Options, checked before any file is read.
  AudioFolderOptions opt = o;
  opt.duration_s = 0.503;
  test::expect_error<ConfigError>([&] { validate(opt); }, "not a whole number of 200 Hz envelope frames");
  opt = o;
  opt.noise = "pink";
  test::expect_error<ConfigError>([&] { validate(opt); }, "data.parameters.noise: 'pink'");
  opt = o;
  opt.snr_min_db = 10;
  opt.snr_max_db = 0;
  test::expect_error<ConfigError>([&] { validate(opt); }, "min <= max");
  opt = o;
  opt.noise = "background";
  fs::remove_all(f.dir.path() / "_background_noise_");
  test::expect_error<DataError>([&] { load_audio_folder(opt); }, "noise: background needs recordings");
}

}  // namespace
}  // namespace lrid

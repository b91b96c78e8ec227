// audio/word_split.h: speaker ids and Speech Commands' hash split, against
// percentages computed with Python's hashlib exactly as input_data.py does:
//   (int(sha1(speaker).hexdigest(), 16) % 2**27) * (100.0 / (2**27 - 1)).
#include "audio/word_split.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

TEST(WordSplit, SpeakerIdIsTheNameBeforeNohash) {
  EXPECT_EQ(speaker_id("yes/0a7c2a8d_nohash_0.wav"), "0a7c2a8d");
  EXPECT_EQ(speaker_id("/data/sc/no/ffd2ba2f_nohash_12.wav"), "ffd2ba2f");
  EXPECT_EQ(speaker_id("up/plain.wav"), "plain.wav");  // no marker: the whole name
}

TEST(WordSplit, PercentagesMatchSpeechCommandsPython) {
  EXPECT_NEAR(speaker_percentage("0a7c2a8d"), 56.836387193474074, 1e-9);
  EXPECT_NEAR(speaker_percentage("ffd2ba2f"), 55.30171137527906, 1e-9);
  EXPECT_NEAR(speaker_percentage("bob"), 77.02980843953645, 1e-9);
  EXPECT_NEAR(speaker_percentage("c0fb6812"), 84.12523704860536, 1e-9);
  EXPECT_NEAR(speaker_percentage(""), 98.04821758008165, 1e-9);
}

TEST(WordSplit, HashSetKeepsASpeakerTogetherAndFollowsThePercentages) {
  // "bob" is at 77.03%: testing when validation + test reaches past it, else training.
  EXPECT_EQ(hash_set("yes/bob_nohash_0.wav", 10, 10), WordSet::kTraining);
  EXPECT_EQ(hash_set("no/bob_nohash_3.wav", 10, 10), WordSet::kTraining);
  EXPECT_EQ(hash_set("no/bob_nohash_3.wav", 70, 10), WordSet::kTesting);
  EXPECT_EQ(hash_set("no/bob_nohash_3.wav", 80, 10), WordSet::kValidation);
  // Over many speakers the shares approach the percentages.
  int counts[3] = {0, 0, 0};
  for (int s = 0; s < 4000; ++s) ++counts[static_cast<int>(hash_set("w/s" + std::to_string(s) + "_nohash_0.wav", 10, 20))];
  EXPECT_NEAR(counts[0] / 4000.0, 0.7, 0.03);
  EXPECT_NEAR(counts[1] / 4000.0, 0.1, 0.02);
  EXPECT_NEAR(counts[2] / 4000.0, 0.2, 0.03);
}

TEST(WordSplit, FileListsAreReadLineByLineAndAMissingOneIsADataError) {
  test::TempDir dir;
  const std::string path = (dir.path() / "testing_list.txt").string();
  std::ofstream(path) << "yes/a_nohash_0.wav\r\nno/b_nohash_1.wav\n\n";
  EXPECT_EQ(read_file_list(path), (std::set<std::string>{"yes/a_nohash_0.wav", "no/b_nohash_1.wav"}));
  const std::string missing = (dir.path() / "validation_list.txt").string();
  test::expect_error<DataError>([&] { read_file_list(missing); }, missing + ": cannot read the file list");
}

}  // namespace
}  // namespace lrid

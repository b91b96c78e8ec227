// The layer vote against hand-counted splits: majorities, a two-way tie that
// holds the truth (1/2), a tie without it (0), and the mean and s.e.m. over splits.
#include "classifiers/run_vote.h"

#include <gtest/gtest.h>

#include "core/errors.h"

namespace lrid {
namespace {

TEST(RunVote, MajorityOfEachRunsLayersWithTiesCountedAsTheirExpectedScore) {
  ProtocolResult r;
  r.class_names = {"adam", "sgdm", "fa"};
  // Rows 0-2: run a (adam); 3-4: run b (sgdm); 5-6: run c (fa); 7: run d (fa).
  const std::vector<std::string> run = {"a", "a", "a", "b", "b", "c", "c", "d"};
  const std::vector<std::string> y = {"adam", "adam", "adam", "sgdm", "sgdm", "fa", "fa", "fa"};
  SplitResult s0;
  s0.test = {0, 1, 2, 3, 4, 5, 6};
  s0.predictions = {0, 0, 1,   // a: adam 2 of 3 -> right
                    1, 2,      // b: sgdm/fa tie holding the truth -> 1/2
                    0, 1};     // c: adam/sgdm tie without fa -> 0
  SplitResult s1;
  s1.test = {7, 3, 4};
  s1.predictions = {2, 1, 1};  // d right, b right
  r.splits = {s0, s1};
  const RunVoteResult v = run_vote(r, run, y);
  ASSERT_EQ(v.accuracy.size(), 2u);
  EXPECT_DOUBLE_EQ(v.accuracy[0], 1.5 / 3.0);
  EXPECT_DOUBLE_EQ(v.accuracy[1], 1.0);
  EXPECT_EQ(v.runs, (std::vector<int64_t>{3, 2}));
  EXPECT_DOUBLE_EQ(v.accuracy_mean, 0.75);
  EXPECT_DOUBLE_EQ(v.accuracy_sem, 0.25);  // sd of {0.5, 1} is 0.3536; / sqrt(2)
}

TEST(RunVote, RefusesADatasetWithoutRunIds) {
  ProtocolResult r;
  EXPECT_THROW(run_vote(r, {}, {"adam"}), ConfigError);
  EXPECT_THROW(run_vote(r, {"a"}, {"adam", "sgdm"}), ConfigError);
}

}  // namespace
}  // namespace lrid

// Prefix classifiers (`lrid classify --prefixes`, `lrid identify RUN_DIR`):
// one protocol and one refit classifier per prefix length, the choice of
// classifier for a run's record count, and the saved file.
#include "classifiers/prefix_classifiers.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "classifiers/classifier_test_data.h"
#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

const std::vector<std::string> kPrefixRules = {"adam", "fa", "ia", "sgdm"};

ProtocolOptions fast_forest() {
  ProtocolOptions o;
  o.grid = "fast";
  o.set = {{"n_estimators", {"30"}}};
  o.splits = 2;
  o.progress = false;
  return o;
}

TEST(PrefixClassifiers, LengthsDefaultToEveryPrefixAndAreChecked) {
  EXPECT_EQ(prefix_lengths({}, 4), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(prefix_lengths({2, 4}, 4), (std::vector<int64_t>{2, 4}));
  test::expect_error<ConfigError>([] { prefix_lengths({0, 3}, 4); }, "prefix length 0 is outside 1..4");
  test::expect_error<ConfigError>([] { prefix_lengths({5}, 4); }, "prefix length 5");
  test::expect_error<ConfigError>([] { prefix_lengths({3, 2}, 4); }, "2 follows 3");
  EXPECT_EQ(prefix_time_points(3), (std::vector<int64_t>{0, 1, 2}));
}

// The rules differ by a signal that grows from 0 at the first point (a ramp):
// the first point alone is at chance, the whole trajectory is not.
TEST(PrefixClassifiers, AccuracyGrowsWithThePrefixWhenTheSignalDoes) {
  const TrajectoryDataset d = testing::synthetic_trajectories(24, kPrefixRules, {"actraw_mean"}, 6.0, 31, 11);
  std::vector<int64_t> seen;
  const PrefixClassifiers p =
      fit_prefix_classifiers(d, fast_forest(), {1, 6, 11}, [&](int64_t k, const ProtocolResult& r) {
        seen.push_back(k);
        EXPECT_EQ(r.options.time_points, prefix_time_points(k));
      });
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 6, 11}));
  ASSERT_EQ(p.classifiers.size(), 3u);
  EXPECT_EQ(p.dataset_time_points, 11);
  EXPECT_NEAR(p.accuracy[0], 0.25, 0.2);  // nothing to tell at the first point
  EXPECT_GT(p.accuracy[2], 0.9);
  EXPECT_EQ(p.classifiers[1].time_points, prefix_time_points(6));
  EXPECT_EQ(p.for_points(0), -1);
  EXPECT_EQ(p.for_points(1), 0);
  EXPECT_EQ(p.for_points(7), 1);
  EXPECT_EQ(p.for_points(30), 2);
  // A prefix classifier reads a run with at least its k points.
  const TrajectoryDataset part = d.subset({0, 1, 2, 3});
  TrajectoryDataset shorter = part;
  shorter.x = part.x.slice(1, 0, 7);
  shorter.x_cat = part.x_cat.slice(1, 0, 7);
  shorter.time_epochs = part.time_epochs.slice(0, 0, 7);
  EXPECT_TRUE(classify_rows(p.classifiers[1], shorter).equal(classify_rows(p.classifiers[1], part)));
  test::expect_error<DataError>([&] { classify_rows(p.classifiers[2], shorter); }, "reads time point 10");
}

TEST(PrefixClassifiers, SavedFileRoundTripsAndAPlainClassifierLoadsAsOne) {
  const TrajectoryDataset d = testing::synthetic_trajectories(12, kPrefixRules, {"actraw_mean"}, 4.0, 32, 6);
  const PrefixClassifiers p = fit_prefix_classifiers(d, fast_forest(), {2, 6});
  test::TempDir dir;
  const std::string path = (dir.path() / "prefixes.pt").string();
  save_prefix_classifiers(path, p);
  const PrefixClassifiers l = load_prefix_classifiers(path);
  EXPECT_EQ(l.lengths, p.lengths);
  EXPECT_EQ(l.accuracy, p.accuracy);
  EXPECT_EQ(l.dataset_time_points, 6);
  for (std::size_t i = 0; i < p.lengths.size(); ++i)
    EXPECT_TRUE(classify_rows(l.classifiers[i], d).equal(classify_rows(p.classifiers[i], d)));

  save_classifier((dir.path() / "plain.pt").string(), p.classifiers[1]);
  const PrefixClassifiers one = load_prefix_classifiers((dir.path() / "plain.pt").string());
  EXPECT_EQ(one.lengths, (std::vector<int64_t>{6}));
  EXPECT_TRUE(std::isnan(one.accuracy[0]));
  test::expect_error<DataError>([&] { load_prefix_classifiers((dir.path() / "none.pt").string()); }, "no such file");
}

}  // namespace
}  // namespace lrid

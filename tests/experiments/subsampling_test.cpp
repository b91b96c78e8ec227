// Trajectory subsampling with a known answer: the rule shows only at the last
// time point (t = 20, a point of every scheme), so a subset identifies the rule
// exactly when it keeps t = 20. Sparse subsets of k points keep it with
// probability k/5, dense ones with k/21: sparse must beat dense at equal k, and
// the full trajectory must be near perfect.
#include <gtest/gtest.h>

#include "classifiers/registry.h"
#include "core/errors.h"
#include "experiments/experiment_test_data.h"
#include "experiments/experiments.h"
#include "test_util.h"

namespace lrid {
namespace {

using namespace testing;

TEST(Subsampling, SparseSchedulesBeatDenseOnesWhenTheSignalIsLate) {
  test::TempDir t;
  SyntheticSpec s;
  // Every weight statistic carries it, so a forest's random feature subsets find it at any k.
  for (const auto& o : admissible_observables())
    if (o.rfind("weight", 0) == 0) s.informative.push_back(o);
  s.signal_times = {20};
  s.signal = 6.0;
  auto outs = run_on(synthetic_dataset(s), t.path(), "subsampling",
                     {"measures=[weight]", "repeats=8", "dense_k=[1,3,5]", "schemes=[dense,sparse]", "splits=3"});
  const auto dir = t.path() / "results" / "subsampling";
  const auto sum = read_csv_rows(dir / "subsampling_summary.csv");
  auto acc = [&](const std::string& scheme, int k) {
    return accuracy_of(sum, {{"variant", "random"}, {"scheme", scheme}, {"k", std::to_string(k)}});
  };
  EXPECT_GT(acc("dense", 21), 0.9);
  EXPECT_GT(acc("sparse", 5), 0.9);
  // A subset holds t = 20 with probability k/5 (sparse) against k/21 (dense), so the mean over
  // sparse k = 1..4 (expected 0.62) beats the mean over dense k = 1, 3 (expected 0.32).
  const double sparse = (acc("sparse", 1) + acc("sparse", 2) + acc("sparse", 3) + acc("sparse", 4)) / 4;
  const double dense = (acc("dense", 1) + acc("dense", 3)) / 2;
  EXPECT_GT(sparse, dense + 0.2);
  // Every subset is recorded with its time points; k = size collapses to one subset.
  const auto all = read_csv_rows(dir / "subsampling.csv");
  int full = 0;
  for (const auto& r : all) full += r.at("scheme") == "sparse" && r.at("k") == "5";
  EXPECT_EQ(full, 1);
  EXPECT_TRUE(std::filesystem::exists(dir / "subsampling.svg"));
  ASSERT_FALSE(outs[0].findings.empty());
  EXPECT_EQ(outs[0].findings[0].verdict, "agrees");
}

// Where the claim is false: the rule shows only at t = 1, a point of the dense scheme that the
// sparse one (0, 5, 10, ...) never keeps, so spacing measurements apart loses it.
TEST(Subsampling, SpacingFindingDisagreesWhenOnlyADensePointTells) {
  test::TempDir t;
  SyntheticSpec s;
  for (const auto& o : admissible_observables())
    if (o.rfind("weight", 0) == 0) s.informative.push_back(o);
  s.signal_times = {1};
  s.signal = 6.0;
  auto outs = run_on(synthetic_dataset(s), t.path(), "subsampling",
                     {"measures=[weight]", "repeats=4", "dense_k=[2,4]", "schemes=[dense,sparse]", "splits=2"});
  ASSERT_FALSE(outs[0].findings.empty());
  EXPECT_EQ(outs[0].findings[0].verdict, "disagrees") << outs[0].findings[0].measured;
}

TEST(Subsampling, Options) {
  const SubsamplingOptions d = subsampling_binding().parse(experiment_params("subsampling", "{}"));
  EXPECT_EQ(classifier_spec(d.classifier).label, "Random forest");  // the report's reference
  EXPECT_EQ(d.schemes, (std::vector<std::string>{"dense", "intermediate", "sparse"}));
  EXPECT_EQ(d.repeats, 5);
  EXPECT_EQ(d.dense_k, (std::vector<int64_t>{1, 2, 3, 4, 5, 7, 10, 14, 21}));
  EXPECT_FALSE(d.window);
  const SubsamplingOptions o = subsampling_binding().parse(
      experiment_params("subsampling", "{classifier: svm, schemes: [sparse], repeats: 2, dense_k: [3], window: true}"));
  EXPECT_EQ(o.classifier, "svm");
  EXPECT_EQ(o.schemes, std::vector<std::string>{"sparse"});
  EXPECT_EQ(o.repeats, 2);
  EXPECT_EQ(o.dense_k, std::vector<int64_t>{3});
  EXPECT_TRUE(o.window);
  test::expect_error<ConfigError>([] { experiment_params("subsampling", "{schemes: [daily]}"); }, "daily");
  test::expect_error<ConfigError>([] { experiment_params("subsampling", "{repeats: 0}"); }, "repeats");
}

TEST(Subsampling, NothingToRunIsAnError) {
  test::TempDir t;
  SyntheticSpec s;
  s.rows_per_rule = 4;
  s.time_points = 3;
  // No scheme: no subset to run.
  test::expect_error<ConfigError>(
      [&] { run_on(synthetic_dataset(s), t.path(), "subsampling", {"schemes=[]", "measures=[weight]"}); },
      "no (scheme, k) to run");
}

}  // namespace
}  // namespace lrid

// How early a rule can be told, with known answers: the rules differ from
// time point 8 on (so the first 9 points suffice), only at the last point (so
// nothing short of the whole trajectory does), from the first point on (a
// difference at initialisation, which the first finding must flag), or never.
#include <gtest/gtest.h>

#include "classifiers/registry.h"
#include "core/errors.h"
#include "experiments/experiment_test_data.h"
#include "experiments/experiments.h"
#include "test_util.h"

namespace lrid {
namespace {

using namespace testing;

// Every weight statistic carries the signal at `times`, so a forest's random feature subsets find it.
SyntheticSpec signal_at(const std::vector<int64_t>& times, double signal = 6.0) {
  SyntheticSpec s;
  for (const auto& o : admissible_observables())
    if (o.rfind("weight", 0) == 0) s.informative.push_back(o);
  s.signal_times = times;
  s.signal = signal;
  return s;
}

std::vector<int64_t> from(int64_t first, int64_t last) {
  std::vector<int64_t> v;
  for (int64_t t = first; t <= last; ++t) v.push_back(t);
  return v;
}

// The verdicts of the initial-point and the early-identification findings.
std::pair<std::string, std::string> verdicts(const ExperimentOutput& out) {
  EXPECT_EQ(out.findings.size(), 2u);
  return {out.findings.at(0).verdict, out.findings.at(1).verdict};
}

TEST(Prefix, TheEarliestPrefixIsTheFirstThatHoldsTheSignal) {
  test::TempDir t;
  auto outs = run_on(synthetic_dataset(signal_at(from(8, 20))), t.path(), "prefix",
                     {"measures=[weight]", "lengths=[1,4,8,9,14]", "splits=3"});
  const auto dir = t.path() / "results" / "prefix";
  const auto acc = read_csv_rows(dir / "prefix.csv");
  ASSERT_EQ(acc.size(), 6u);  // the 5 lengths and the full trajectory (k = 21), added as the reference
  EXPECT_EQ(acc.back().at("k"), "21");
  EXPECT_NEAR(std::stod(acc[0].at("accuracy_mean")), 0.25, 0.15);  // k = 1: chance
  EXPECT_NEAR(std::stod(acc[2].at("accuracy_mean")), 0.25, 0.15);  // k = 8: points 0..7, still no signal
  EXPECT_GT(std::stod(acc[3].at("accuracy_mean")), 0.9);           // k = 9 holds point 8
  EXPECT_EQ(acc[3].at("fraction"), "0.4");                         // point 8 of 0..20
  const auto first = read_csv_rows(dir / "prefix_earliest.csv");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].at("earliest_k"), "9");
  EXPECT_EQ(first[0].at("earliest_epoch"), "40");
  const auto recall = read_csv_rows(dir / "prefix_recall.csv");
  EXPECT_EQ(recall.size(), 6u * 4u);  // prefixes x rules
  EXPECT_TRUE(std::filesystem::exists(dir / "prefix.svg"));
  EXPECT_TRUE(std::filesystem::exists(dir / "prefix_recall.svg"));
  EXPECT_EQ(verdicts(outs[0]), std::make_pair(std::string("agrees"), std::string("agrees")));
}

TEST(Prefix, VerdictsFollowTheClaimsTheyTest) {
  test::TempDir t;
  const std::vector<std::string> quick = {"measures=[weight]", "lengths=[1,10,20]", "splits=3"};
  // Only the last point tells: no prefix short of the whole trajectory does.
  auto late = run_on(synthetic_dataset(signal_at({20})), t.path() / "late", "prefix", quick);
  EXPECT_EQ(verdicts(late[0]), std::make_pair(std::string("agrees"), std::string("disagrees")));
  // The rules differ at initialisation: the first point alone tells them apart.
  auto leak = run_on(synthetic_dataset(signal_at(from(0, 20))), t.path() / "leak", "prefix", quick);
  EXPECT_EQ(verdicts(leak[0]).first, "disagrees");
  // Nothing ever tells: there is nothing to name early.
  auto none = run_on(synthetic_dataset(signal_at({}, 0.0)), t.path() / "none", "prefix", quick);
  EXPECT_EQ(verdicts(none[0]).second, "inconclusive");
}

TEST(Prefix, Options) {
  const PrefixOptions d = prefix_binding().parse(experiment_params("prefix", "{}"));
  EXPECT_EQ(classifier_spec(d.classifier).label, "Random forest");
  EXPECT_TRUE(d.lengths.empty());
  EXPECT_DOUBLE_EQ(d.share, 0.9);
  const PrefixOptions o = prefix_binding().parse(experiment_params("prefix", "{lengths: [2, 5], share: 0.8}"));
  EXPECT_EQ(o.lengths, (std::vector<int64_t>{2, 5}));
  test::expect_error<ConfigError>([] { experiment_params("prefix", "{share: 1.5}"); }, "share");
  test::expect_error<ConfigError>([] { experiment_params("prefix", "{lengths: [0]}"); }, "lengths");
  test::TempDir t;
  test::expect_error<ConfigError>(
      [&] { run_on(synthetic_dataset(quick_spec()), t.path(), "prefix", {"lengths=[2,9]"}); },
      "prefix length 9 is outside 1..3");
}

}  // namespace
}  // namespace lrid

// Noise with known answers: statistic-level noise lowers accuracy (in
// expectation, monotonically: the ends by a wide margin); a recorded condition
// whose rows carry less signal classifies worse than the clean rows.
#include <gtest/gtest.h>

#include "core/errors.h"
#include "experiments/experiment_test_data.h"
#include "experiments/experiments.h"
#include "test_util.h"

namespace lrid {
namespace {

using namespace testing;

TEST(Noise, StatisticNoiseLowersAccuracyAndRecordedConditionsAreClassifiedApart) {
  test::TempDir t;
  const SyntheticSpec s = informative_spec({"weightraw_mean", "actraw_mean"}, 1.5);
  TrajectoryDataset clean = synthetic_dataset(s);
  // The same runs recorded under a degraded condition: weaker signal (a quarter), more noise.
  SyntheticSpec w = s;
  w.signal = 0.35;
  w.seed = 2;
  TrajectoryDataset degraded = synthetic_dataset(w);
  for (auto& c : degraded.meta.at("condition").strings) c = "frac0.01_noise1";
  for (auto& v : degraded.meta.at("obs_frac").reals) v = 0.01;
  for (auto& v : degraded.meta.at("obs_stddev").reals) v = 1.0;
  run_on(concat(clean, degraded), t.path(), "noise", {"measures=[weight,act]", "variances=[0,1,10,100]"});
  const auto dir = t.path() / "results" / "noise";
  const auto st = read_csv_rows(dir / "noise_statistic.csv");
  for (const char* m : {"weight", "act"}) {
    const double a0 = accuracy_of(st, {{"observables", m}, {"variance", "0"}});
    const double a1 = accuracy_of(st, {{"observables", m}, {"variance", "1"}});
    const double a2 = accuracy_of(st, {{"observables", m}, {"variance", "10"}});
    const double a3 = accuracy_of(st, {{"observables", m}, {"variance", "100"}});
    EXPECT_GT(a0, 0.8) << m;
    EXPECT_GE(a0 + 0.05, a1) << m;
    EXPECT_GE(a1 + 0.05, a2) << m;
    EXPECT_GT(a0, a3 + 0.3) << m;
    EXPECT_LT(a3, 0.45) << m;  // chance 0.25
  }
  // Only the rows of the full condition feed the statistic-level part (condition=full).
  const auto rec = read_csv_rows(dir / "noise_recorded.csv");
  ASSERT_EQ(rec.size(), 2u * 2u);  // 2 conditions x 2 measures
  const double full = accuracy_of(rec, {{"obs_frac", "1"}, {"observables", "weight"}});
  const double low = accuracy_of(rec, {{"obs_frac", "0.01"}, {"observables", "weight"}});
  EXPECT_GT(full, low + 0.2);
  EXPECT_EQ(rec[0].at("median_kept_synapses"), "10");  // ceil(0.01 * 1000)
  EXPECT_TRUE(std::filesystem::exists(dir / "noise_recorded.svg"));
}

// Where the claims are false: only the weights carry the rule, and the degraded recording keeps the
// weights' signal whole while it removes the activations' one. Activations are then neither the most
// robust to statistic noise nor more robust than weights to the recorded degradation.
TEST(Noise, FindingsDisagreeWhenWeightsAreTheRobustMeasure) {
  test::TempDir t;
  SyntheticSpec s = informative_spec({"weightraw_mean", "weightabs_mean", "actraw_mean"}, 3.0);
  s.rows_per_rule = 16;
  s.time_points = 5;
  TrajectoryDataset clean = synthetic_dataset(s);
  SyntheticSpec w = informative_spec({"weightraw_mean", "weightabs_mean"}, 3.0);
  w.rows_per_rule = 16;
  w.time_points = 5;
  w.seed = 2;
  TrajectoryDataset degraded = synthetic_dataset(w);
  for (auto& c : degraded.meta.at("condition").strings) c = "frac0.01";
  for (auto& v : degraded.meta.at("obs_frac").reals) v = 0.01;
  auto outs = run_on(concat(clean, degraded), t.path(), "noise",
                     {"measures=[weight,act,grad]", "variances=[0,0.5]", "splits=3"});
  ASSERT_EQ(outs[0].findings.size(), 3u);
  for (const auto& f : outs[0].findings) EXPECT_NE(f.verdict, "agrees") << f.finding << ": " << f.measured;
  EXPECT_EQ(outs[0].findings[0].verdict, "disagrees") << outs[0].findings[0].measured;  // recorded conditions
}

TEST(Noise, Options) {
  const NoiseOptions d = noise_binding().parse(experiment_params("noise", "{}"));
  EXPECT_EQ(d.classifier, NoiseOptions{}.classifier);
  EXPECT_EQ(d.variances, (std::vector<double>{0, 0.5, 1, 5, 10}));
  EXPECT_TRUE(d.recorded);
  const NoiseOptions o = noise_binding().parse(experiment_params("noise", "{classifier: conv1d, variances: [2], recorded: false}"));
  EXPECT_EQ(o.classifier, "conv1d");
  EXPECT_EQ(o.variances, std::vector<double>{2});
  EXPECT_FALSE(o.recorded);
  test::expect_error<ConfigError>([] { experiment_params("noise", "{variances: [-1]}"); }, "variances");
  test::expect_error<ConfigError>([] { experiment_params("noise", "{classifier: knn}"); }, "knn");
}

}  // namespace
}  // namespace lrid

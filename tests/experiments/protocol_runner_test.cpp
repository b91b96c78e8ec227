// The protocol runner and the summaries the experiments print: per-split
// accuracies, row-normalised confusion, "mean ± sem", the most chosen configuration.
#include "experiments/protocol_runner.h"

#include <gtest/gtest.h>

#include <cmath>

#include "experiments/experiment_test_data.h"
#include "experiments/options.h"

namespace lrid {
namespace {

using namespace testing;

TEST(ProtocolSummaries, RowNormalisedAndPm) {
  const Confusion c = {{3, 1}, {0, 0}};
  const Confusion n = row_normalised(c);
  EXPECT_DOUBLE_EQ(n[0][0], 0.75);
  EXPECT_DOUBLE_EQ(n[0][1], 0.25);
  EXPECT_DOUBLE_EQ(n[1][0], 0.0);  // a row without counts stays zero
  EXPECT_EQ(pm(0.8123, 0.0134), "0.812 ± 0.013");
  EXPECT_EQ(pm(0.8123, NAN), "0.812");
}

TEST(ProtocolSummaries, SplitAccuraciesAndTheMostChosenConfig) {
  ProtocolResult r;
  r.accuracy_mean = 0.5;
  r.accuracy_sem = 0.25;
  for (const auto& [acc, c] : std::vector<std::pair<double, std::string>>{{0.4, "20"}, {0.6, "50"}, {0.5, "50"}}) {
    SplitResult s;
    s.test_accuracy = acc;
    s.chosen = {{"n_estimators", c}};
    r.splits.push_back(s);
  }
  EXPECT_EQ(split_accuracies(r), (std::vector<double>{0.4, 0.6, 0.5}));
  EXPECT_EQ(chosen_config(r), config_text({{"n_estimators", "50"}}));
  EXPECT_EQ(accuracy_pm(r), "0.500 ± 0.250");
}

TEST(ProtocolRunner, RunsTheProtocol) {
  const TrajectoryDataset d = synthetic_dataset(quick_spec());
  CommonOptions c;
  c.splits = 2;
  c.grid = "fast";
  c.jobs = 1;
  c.set = {{"n_estimators", {"10"}}};
  ProtocolRunner runner("test", 1, /*progress=*/false);
  const ProtocolResult r = runner.run(d, protocol_options(c, "rf", "weight"), "rf/weight");
  runner.finish();
  EXPECT_EQ(r.splits.size(), 2u);
  EXPECT_EQ(r.observables.size(), 13u);
  EXPECT_GT(r.accuracy_mean, 0.5);  // chance 0.25; the signal is strong
}

}  // namespace
}  // namespace lrid

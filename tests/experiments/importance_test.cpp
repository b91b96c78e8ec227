// Gini importance on synthetic trajectories: the informative statistic gets the
// largest summed importance in its measure's forest, and importances per set sum to 1.
#include <gtest/gtest.h>

#include "classifiers/registry.h"
#include "experiments/experiment_test_data.h"
#include "experiments/experiments.h"
#include "test_util.h"

namespace lrid {
namespace {

using namespace testing;

TEST(Importance, TheInformativeStatisticRanksFirst) {
  test::TempDir t;
  run_on(synthetic_dataset(informative_spec({"weightsq_median", "actabs_norm"}, 2.0)), t.path(), "importance",
         {"measures=[weight,act,grad]"});
  const auto dir = t.path() / "results" / "importance";
  const auto rows = read_csv_rows(dir / "importance.csv");
  auto first = [&](const std::string& m) {
    for (const auto& r : rows)
      if (r.at("observables") == m && r.at("rank") == "1") return r.at("feature");
    return std::string();
  };
  EXPECT_EQ(first("weight"), "weightsq_median");
  EXPECT_EQ(first("act"), "actabs_norm");
  // Per set, the summed observable importances plus the one-hot columns sum to 1 (sklearn normalisation).
  for (const char* m : {"weight", "act", "grad"}) {
    double total = 0;
    for (const auto& r : rows)
      if (r.at("observables") == m) total += std::stod(r.at("importance_mean"));
    EXPECT_NEAR(total, 1.0, 1e-6) << m;
  }
  // Per time point: 13 + 8 + 3 observables x 21 points.
  EXPECT_EQ(read_csv_rows(dir / "importance_time.csv").size(), (13u + 8u + 3u) * 21u);
  EXPECT_TRUE(std::filesystem::exists(dir / "importance.svg"));
  EXPECT_TRUE(std::filesystem::exists(dir / "importance_time.svg"));
}

// Where the claim is false: the rule lives in the weight mean, so neither a median nor a norm ranks first.
TEST(Importance, WeightFindingFailsWhenTheMeanCarriesTheRule) {
  test::TempDir t;
  auto outs = run_on(synthetic_dataset(informative_spec({"weightraw_mean"}, 2.0)), t.path(), "importance",
                     {"measures=[weight,act,grad]", "splits=3"});
  ASSERT_FALSE(outs[0].findings.empty());
  EXPECT_EQ(outs[0].findings[0].finding.rfind("The weight median and the weight norm", 0), 0u);
  EXPECT_NE(outs[0].findings[0].verdict, "agrees") << outs[0].findings[0].measured;
}

TEST(Importance, TheForestIsTheDocumentedDefault) {
  EXPECT_TRUE(importance_binding().schema().empty());  // nothing to configure beyond the common keys
  EXPECT_EQ(importance_binding().parse(Params{}).classifier, ImportanceOptions{}.classifier);
  EXPECT_EQ(classifier_spec(ImportanceOptions{}.classifier).label, "Random forest");
}

}  // namespace
}  // namespace lrid

// Observable names (science.md §3.7): the 45 in canonical storage order, the 24
// admissible ones in feature order (checked against the spec's exclusion
// rules), the named sets, measure names and index lookup.
#include "observables/names.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

bool starts_with_text(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
bool ends_with_text(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

TEST(ObservableNames, All45InCanonicalOrder) {
  const auto& all = all_observables();
  ASSERT_EQ(all.size(), 45u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 45u);
  // Literal positions from the spec's listing: abs, raw, sq; kurtosis ... var.
  EXPECT_EQ(all[0], "weightabs_kurtosis");
  EXPECT_EQ(all[1], "weightabs_mean");
  EXPECT_EQ(all[5], "weightabs_thirdquartile");
  EXPECT_EQ(all[6], "weightabs_var");
  EXPECT_EQ(all[7], "weightraw_kurtosis");
  EXPECT_EQ(all[17], "weightsq_norm");
  EXPECT_EQ(all[20], "weightsq_var");
  EXPECT_EQ(all[21], "actabs_kurtosis");
  EXPECT_EQ(all[32], "actraw_skew");
  EXPECT_EQ(all[41], "actsq_var");
  EXPECT_EQ(std::vector<std::string>(all.begin() + 42, all.end()),
            (std::vector<std::string>{"gradavgabs_id", "gradavgraw_id", "gradavgsq_id"}));
  EXPECT_EQ(measure_observables(Measure::kAct), std::vector<std::string>(all.begin() + 21, all.begin() + 42));
  EXPECT_EQ(measure_observables(Measure::kGradavg).size(), 3u);
  EXPECT_STREQ(function_name(Function::kSq), "sq");
  EXPECT_STREQ(statistic_name(Statistic::kThirdQuartile), "thirdquartile");
  EXPECT_STREQ(measure_name(Measure::kGradavg), "gradavg");
}

// The spec's exclusions: every skew and kurtosis, weightsq_norm and
// weightsq_var, every act variance, every actsq_*.
bool excluded_by_the_spec(const std::string& name) {
  return ends_with_text(name, "_skew") || ends_with_text(name, "_kurtosis") || name == "weightsq_norm" ||
         name == "weightsq_var" || (starts_with_text(name, "act") && ends_with_text(name, "_var")) ||
         starts_with_text(name, "actsq_");
}

TEST(ObservableNames, AdmissibleAreTheSpecsTwentyFourInFeatureOrder) {
  std::vector<std::string> want;
  for (const auto& n : all_observables())
    if (!excluded_by_the_spec(n)) want.push_back(n);
  EXPECT_EQ(admissible_observables(), want);
  ASSERT_EQ(admissible_observables().size(), 24u);
  EXPECT_EQ(admissible_observables()[12], "weightsq_thirdquartile");
  EXPECT_EQ(admissible_observables()[13], "actabs_mean");
  EXPECT_EQ(admissible_observables()[20], "actraw_thirdquartile");
}

TEST(ObservableNames, NamedSets) {
  EXPECT_EQ(observable_set("all"), admissible_observables());
  EXPECT_EQ(observable_set("all45"), all_observables());
  const auto weight = observable_set("weight"), act = observable_set("act"), grad = observable_set("grad");
  EXPECT_EQ(weight.size(), 13u);
  EXPECT_EQ(act.size(), 8u);
  EXPECT_EQ(grad, (std::vector<std::string>{"gradavgabs_id", "gradavgraw_id", "gradavgsq_id"}));
  EXPECT_EQ(observable_set("gradavg"), grad);
  EXPECT_EQ(weight.front(), "weightabs_mean");
  EXPECT_EQ(act.back(), "actraw_thirdquartile");
  test::expect_error<ConfigError>([] { observable_set("weights"); }, "unknown observable set 'weights'");
  test::expect_error<ConfigError>([] { observable_set(""); }, "all, all45, weight, act, grad");
}

TEST(ObservableNames, MeasureParsingAndIndexLookup) {
  EXPECT_EQ(parse_measure("weight", "w"), Measure::kWeight);
  EXPECT_EQ(parse_measure("act", "w"), Measure::kAct);
  EXPECT_EQ(parse_measure("gradavg", "w"), Measure::kGradavg);
  EXPECT_EQ(parse_measure("grad", "w"), Measure::kGradavg);
  test::expect_error<ConfigError>([] { parse_measure("Act", "--measure"); }, "--measure: unknown measure 'Act'");
  EXPECT_EQ(observable_index("weightabs_kurtosis"), 0);
  EXPECT_EQ(observable_index("actabs_kurtosis"), 21);
  EXPECT_EQ(observable_index("gradavgsq_id"), 44);
  EXPECT_EQ(observable_index("gradavg_id"), -1);
  EXPECT_EQ(observable_index(""), -1);
}

}  // namespace
}  // namespace lrid

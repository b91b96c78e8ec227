// The common options: the schema's checks, typed values parsed once
// (set= axes checked against every classifier's grid, rule aliases resolved),
// and the protocol options built from them per classifier.
#include "experiments/options.h"

#include <gtest/gtest.h>

#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

// The common parameters from a YAML map, validated as `lrid experiment` does.
Params common_params(const std::string& yaml) {
  return parse_params(common_schema(), YAML::Load(yaml), ConfigSource{"test", {}}, "");
}

TEST(CommonOptions, DefaultsMatchTheStruct) {
  const CommonOptions o = common_options(common_params("{}"));
  const CommonOptions d;
  EXPECT_EQ(o.splits, d.splits);
  EXPECT_EQ(o.seed, d.seed);
  EXPECT_EQ(o.grid, "paper");
  EXPECT_TRUE(o.set.empty());
  EXPECT_EQ(o.jobs, 0);
  EXPECT_FALSE(o.drop_nonfinite);
  EXPECT_EQ(o.condition, "full");
  EXPECT_TRUE(o.rules.empty());
  EXPECT_EQ(o.measures, d.measures);
}

TEST(CommonOptions, ParsedValuesAndResolvedRuleNames) {
  const CommonOptions o = common_options(common_params(
      "{splits: 3, seed: 7, grid: fast, jobs: 2, drop_nonfinite: true, condition: '', rules: [adam, feedback, "
      "information], measures: [weight], set: ['n_estimators=10,20', 'C=1']}"));
  EXPECT_EQ(o.splits, 3);
  EXPECT_EQ(o.seed, 7u);
  EXPECT_EQ(o.grid, "fast");
  EXPECT_EQ(o.jobs, 2);
  EXPECT_TRUE(o.drop_nonfinite);
  EXPECT_EQ(o.condition, "");
  EXPECT_EQ(o.rules, (std::vector<std::string>{"adam", "fa", "ia"}));
  EXPECT_EQ(o.measures, std::vector<std::string>{"weight"});
  EXPECT_EQ(o.set.at("n_estimators"), (std::vector<std::string>{"10", "20"}));
  EXPECT_EQ(o.set.at("C"), std::vector<std::string>{"1"});
}

TEST(CommonOptions, BadValuesAreRefusedNamingThem) {
  test::expect_error<ConfigError>([] { common_params("{splits: 0}"); }, "splits");
  test::expect_error<ConfigError>([] { common_params("{grid: slow}"); }, "slow");
  test::expect_error<ConfigError>([] { common_options(common_params("{set: [n_estimators]}")); }, "n_estimators");
  test::expect_error<ConfigError>([] { common_options(common_params("{set: ['=3']}")); }, "KEY=V1,V2");
  test::expect_error<ConfigError>([] { common_options(common_params("{set: [depth=3]}")); },
                                  "'depth' is not a hyperparameter");
}

TEST(CommonOptions, ProtocolOptionsTakeTheAxesOfTheirClassifier) {
  CommonOptions c;
  c.splits = 4;
  c.seed = 9;
  c.grid = "fast";
  c.jobs = 1;
  c.drop_nonfinite = true;
  c.set = {{"n_estimators", {"10"}}, {"C", {"1", "50"}}};
  const ProtocolOptions rf = protocol_options(c, "rf", "weight");
  EXPECT_EQ(rf.classifier, "rf");
  EXPECT_EQ(rf.observables, "weight");
  EXPECT_EQ(rf.grid, "fast");
  EXPECT_EQ(rf.splits, 4);
  EXPECT_EQ(rf.seed, 9u);
  EXPECT_EQ(rf.n_jobs, 1);
  EXPECT_TRUE(rf.drop_nonfinite);
  EXPECT_FALSE(rf.progress);
  ASSERT_EQ(rf.set.size(), 1u);
  EXPECT_EQ(rf.set.at("n_estimators"), std::vector<std::string>{"10"});
  const ProtocolOptions svm = protocol_options(c, "svm", "all");
  ASSERT_EQ(svm.set.size(), 1u);
  EXPECT_EQ(svm.set.at("C"), (std::vector<std::string>{"1", "50"}));
}

TEST(CommonOptions, PrettyMeasureNames) {
  const std::vector<std::pair<std::string, std::string>> names = {
      {"all", "all (24)"},
      {"weight", "weights (13)"},
      {"act", "activations (8)"},
      {"grad", "activity change (3)"},
      {"weightraw_mean,actraw_mean", "weightraw_mean,actraw_mean"}};  // a list of names stays as it is
  for (const auto& [set, pretty] : names) EXPECT_EQ(pretty_measure(set), pretty);
}

}  // namespace
}  // namespace lrid

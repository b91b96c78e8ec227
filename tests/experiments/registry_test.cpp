// The experiment registry and run_experiments: every parameter is validated
// and parsed before any data is read (unknown keys, bad values, unknown
// experiments, bad set= axes, a missing condition), `all` takes the keys any of
// its experiments knows, the CLI reports bad input in one line with a non-zero
// exit and no results written.
#include <gtest/gtest.h>

#include "core/errors.h"
#include "core/json.h"
#include "experiments/experiment_test_data.h"
#include "test_util.h"

namespace lrid {
namespace {

using namespace testing;

TEST(ExperimentRegistry, NamesAndSchemas) {
  const auto& reg = experiment_registry();
  EXPECT_EQ(reg.names(), experiment_names());
  for (const auto& n : reg.names()) {
    const Schema& s = reg.schema(n);
    ASSERT_GE(s.size(), common_schema().size()) << n;
    for (std::size_t i = 0; i < common_schema().size(); ++i) EXPECT_EQ(s[i].name, common_schema()[i].name) << n;
  }
  EXPECT_EQ(reg.schema("subsampling").back().name, "window");
  test::expect_error<ConfigError>([&] { reg.canonical("nosuch", "lrid experiment"); }, "'nosuch'");
}

// Several experiments by name (the demo's long part): each runs, and only their keys are taken.
TEST(RunExperiments, ACommaSeparatedListRunsEachNamedExperiment) {
  EXPECT_TRUE(experiments_take("separation,prefix", "lengths"));
  EXPECT_TRUE(experiments_take("separation,prefix", "classifiers"));
  EXPECT_FALSE(experiments_take("separation,prefix", "dense_k"));
  EXPECT_TRUE(experiments_take("all", "dense_k"));
  EXPECT_TRUE(experiments_take("noise", "splits"));  // a common key
  test::TempDir t;
  auto outs = run_on(synthetic_dataset(quick_spec()), t.path(), "separation,prefix",
                     {"classifiers=[rf]", "measures=[weight]", "splits=2"});
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[0].name, "separation");
  EXPECT_EQ(outs[1].name, "prefix");
  test::expect_error<ConfigError>(
      [&] { run_on(synthetic_dataset(quick_spec()), t.path(), "separation,prefix", {"dense_k=[1]"}); }, "dense_k");
}

TEST(RunExperiments, ParametersAreCheckedBeforeAnyCompute) {
  test::TempDir t;
  SyntheticSpec s;
  s.rows_per_rule = 4;
  const TrajectoryDataset d = synthetic_dataset(s);
  test::expect_error<ConfigError>([&] { run_on(d, t.path(), "separation", {"repeats=3"}); }, "'repeats'");
  test::expect_error<ConfigError>([&] { run_on(d, t.path(), "separation", {"splits=0"}); }, "splits");
  test::expect_error<ConfigError>([&] { run_on(d, t.path(), "separation", {"classifiers=[rf,knn]"}); }, "knn");
  test::expect_error<ConfigError>([&] { run_on(d, t.path(), "nosuch"); }, "nosuch");
  test::expect_error<ConfigError>([&] { run_on(d, t.path(), "separation", {"splits"}); }, "key=value");
  test::expect_error<ConfigError>([&] { run_on(d, t.path(), "separation", {"set=depth=3"}); }, "depth");
  test::expect_error<DataError>([&] { run_on(d, t.path(), "importance", {"condition=frac0.1"}); }, "frac0.1");
  test::expect_error<DataError>([&] { run_on(d, t.path(), "importance", {"rules=[adam,kp]"}); }, "'kp'");
  // Nothing was run: no experiment directory.
  EXPECT_FALSE(std::filesystem::exists(t.path() / "results" / "separation"));
  EXPECT_FALSE(std::filesystem::exists(t.path() / "results" / "importance"));
  // `all` takes keys that any of its experiments knows (repeats: subsampling) but not unknown ones.
  test::expect_error<ConfigError>([&] { run_on(d, t.path(), "all", {"repeats=1", "nosuch=1"}); },
                                  "no parameter of separation, importance, subsampling, noise, generalization");
}

TEST(RunExperiments, WritesProvenanceAndEachExperimentsManifest) {
  test::TempDir t;
  const auto outs = run_on(synthetic_dataset(quick_spec()), t.path(), "importance",
                           {"measures=[weight]", "splits=2", "rules=[adam,feedback]"});
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_EQ(outs[0].name, "importance");
  EXPECT_GT(outs[0].wall_time_s, 0);
  const Json p = read_json(t.path() / "results" / "provenance.json");
  EXPECT_EQ(p.at("rows").get<int64_t>(), 48);  // the whole dataset, before the rules are selected
  EXPECT_EQ(read_manifest(t.path() / "results" / "importance").name, "importance");
  // Only adam and fa rows were classified (feedback is fa's original label).
  const Json r = read_json(t.path() / "results" / "importance" / "runs" / "rf_weight" / "results.json");
  EXPECT_NE(r.dump().find("\"fa\""), std::string::npos);
  EXPECT_EQ(r.dump().find("\"sgdm\""), std::string::npos);
}

TEST(ExperimentCli, BadInputIsOneLineWithAnExitCode) {
  test::TempDir t;
  auto r = test::run_lrid("experiment separation " + (t.path() / "missing.h5").string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("missing.h5"), std::string::npos);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  r = test::run_lrid("experiment separation x.h5 splits=-1");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("splits"), std::string::npos);
  r = test::run_lrid("report " + t.path().string());
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.out.find("no experiment results"), std::string::npos);
  r = test::run_lrid("experiment --list");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("generalization"), std::string::npos);
  r = test::run_lrid("demo --sweep " + (t.path() / "none.yaml").string());
  EXPECT_EQ(r.code, 2);
}

}  // namespace
}  // namespace lrid

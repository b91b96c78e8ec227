// run_experiments: parameters are validated before any compute (unknown keys,
// bad values, unknown experiments, a missing condition), and the CLI reports
// bad input in one line with a non-zero exit and no results written.
#include <gtest/gtest.h>

#include "core/errors.h"
#include "experiments/experiment_test_data.h"
#include "test_util.h"

namespace lrid {
namespace {

using namespace testing;

TEST(Experiments, ParametersAreCheckedBeforeAnyCompute) {
  test::TempDir t;
  SyntheticSpec s;
  const TrajectoryDataset d = synthetic_dataset(s);
  EXPECT_THROW(run_on(d, t.path(), "separation", {"repeats=3"}), ConfigError);  // a subsampling key
  EXPECT_THROW(run_on(d, t.path(), "separation", {"splits=0"}), ConfigError);
  EXPECT_THROW(run_on(d, t.path(), "separation", {"classifiers=[rf,knn]"}), ConfigError);
  EXPECT_THROW(run_on(d, t.path(), "nosuch"), ConfigError);
  EXPECT_THROW(run_on(d, t.path(), "separation", {"splits"}), ConfigError);
  EXPECT_THROW(run_on(d, t.path(), "importance", {"condition=frac0.1"}), DataError);
  EXPECT_FALSE(std::filesystem::exists(t.path() / "results" / "separation"));
  // `all` takes keys that any of its experiments knows.
  EXPECT_NO_THROW(experiment_registry().schema("subsampling"));
  EXPECT_EQ(experiment_names().size(), 5u);
}

TEST(Experiments, CliBadInputIsOneLineWithAnExitCode) {
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

// `lrid demo` (app/demo.cpp) on the tests' tiny sweep: every step's output
// exists, the report's path is printed last, and the demo's own experiment
// settings come before the user's.
#include "app/demo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "experiments/experiment_test_data.h"
#include "experiments/manifest.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

TEST(Demo, RunsEveryStepAndPrintsTheReportPathLast) {
  test::TempDir t;
  const std::string sweep = std::string(LRID_SOURCE_DIR) + "/tests/fixtures/sweeps/small.yaml";
  // One classifier and two measures keep this to seconds; the demo's defaults fill in the rest.
  const auto r = test::run_lrid("demo -q --sweep " + sweep + " --out " + t.str() + " --long-dataset '' splits=2 " +
                                "'classifiers=[rf]' 'measures=[all,weight]'");
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* step : {"1/4 sweep", "2/4 dataset", "3/4 experiments", "4/4 report"})
    EXPECT_NE(r.out.find(step), std::string::npos) << step;
  EXPECT_EQ(std::count_if(fs::directory_iterator(t.path() / "runs"), fs::directory_iterator(),
                          [](const auto& e) { return e.is_directory(); }),
            4);
  EXPECT_TRUE(fs::exists(t.path() / "dataset.h5"));
  for (const auto& name : experiment_names())
    EXPECT_TRUE(fs::exists(t.path() / "results" / name / "manifest.json")) << name;
  const std::string report = fs::absolute(t.path() / "report.html").string();
  EXPECT_TRUE(fs::exists(report));
  EXPECT_NE(r.out.rfind(report), std::string::npos) << r.out;
  EXPECT_EQ(r.out.substr(r.out.rfind(report) + report.size()), "\n") << "the path is the last thing printed";
}

// With a long dataset the demo also reports on it, apart, and says which report is which.
TEST(Demo, AlsoReportsOnTheLongDatasetAndNamesBothReports) {
  test::TempDir t;
  testing::SyntheticSpec s = testing::informative_spec({"weightraw_mean"}, 3.0);
  s.rows_per_rule = 16;
  write_dataset((t.path() / "long.h5").string(), testing::synthetic_dataset(s));
  const std::string sweep = std::string(LRID_SOURCE_DIR) + "/tests/fixtures/sweeps/small.yaml";
  const auto r = test::run_lrid("demo -q --sweep " + sweep + " --out " + t.str() + " --long-dataset " + t.str() +
                                "/long.h5 splits=2 'classifiers=[rf]' 'measures=[all]' lengths=[1,5]");
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* name : {"separation", "prefix"})
    EXPECT_TRUE(fs::exists(t.path() / "long" / "results" / name / "manifest.json")) << name;
  EXPECT_FALSE(fs::exists(t.path() / "long" / "results" / "noise"));
  const std::string short_report = fs::absolute(t.path() / "report.html").string();
  const std::string long_report = fs::absolute(t.path() / "long" / "report.html").string();
  EXPECT_TRUE(fs::exists(long_report));
  EXPECT_NE(r.out.find("short runs (this demo's own sweep, " + sweep + "): " + short_report), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("long runs (the committed " + t.str() + "/long.h5"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.substr(r.out.rfind(long_report) + long_report.size()), "\n") << "the long report is printed last";
}

TEST(Demo, OwnSettingsComeFirstSoThatUsersOverrideThem) {
  const auto p = demo_experiment_parameters();
  EXPECT_NE(std::find(p.begin(), p.end(), "grid=fast"), p.end());
  EXPECT_NE(std::find(p.begin(), p.end(), "set=C=1"), p.end());
  const auto r = test::run_lrid("demo --sweep /nonexistent/sweep.yaml");
  EXPECT_EQ(r.code, 2) << r.out;  // the sweep is validated before anything runs
  EXPECT_NE(r.out.find("/nonexistent/sweep.yaml"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace lrid

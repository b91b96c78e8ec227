// `lrid demo` (app/demo.cpp) on the tests' tiny sweep: every step's output
// exists, the report's path is printed last, and the demo's own experiment
// settings come before the user's.
#include "app/demo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

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
  const auto r = test::run_lrid("demo -q --sweep " + sweep + " --out " + t.str() + " splits=2 'classifiers=[rf]' " +
                                "'measures=[all,weight]'");
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

// `lrid experiment` and `lrid report` (app/cli_experiment.cpp): the listing,
// and bad input reported in one line with an exit code before any compute.
#include <gtest/gtest.h>

#include <algorithm>

#include "classifiers/classifier_test_data.h"
#include "test_util.h"
#include "trajectories/trajectory_dataset.h"

namespace lrid {
namespace {

using test::run_lrid;

int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

TEST(CliExperiment, ListNamesEveryExperimentAndTheirParameters) {
  const auto r = run_lrid("experiment --list");
  EXPECT_EQ(r.code, 0);
  for (const char* s : {"separation", "importance", "subsampling", "noise", "generalization", "prefix", "all", "splits"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
}

TEST(CliExperiment, BadInputIsOneLineWithAnExitCode) {
  test::TempDir t;
  auto r = run_lrid("experiment separation " + (t.path() / "missing.h5").string());
  EXPECT_EQ(r.code, 3) << r.out;  // no such dataset
  EXPECT_EQ(lines(r.out), 1) << r.out;
  // A dataset cut short: one line naming it and the remedy, no HDF5 error stack.
  const std::string cut = (t.path() / "cut.h5").string();
  write_dataset(cut, testing::synthetic_trajectories(10, {"a", "b"}, {}, 0.0, 3));
  std::filesystem::resize_file(cut, std::filesystem::file_size(cut) - 1000);
  r = run_lrid("experiment separation " + cut);
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_EQ(lines(r.out), 1) << r.out;
  EXPECT_NE(r.out.find(cut + ": truncated or corrupt HDF5 file"), std::string::npos) << r.out;
  r = run_lrid("experiment separation x.h5 splits=-1");
  EXPECT_EQ(r.code, 2) << r.out;  // parameters are checked before the file is opened
  EXPECT_NE(r.out.find("splits"), std::string::npos) << r.out;
  r = run_lrid("experiment separation x.h5 no_such_key=1");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("no_such_key"), std::string::npos) << r.out;
  r = run_lrid("experiment");
  EXPECT_EQ(r.code, 2) << r.out;
}

TEST(CliReport, RefusesADirectoryWithoutResults) {
  test::TempDir t;
  const auto r = run_lrid("report " + t.path().string());
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_EQ(lines(r.out), 1) << r.out;
  EXPECT_FALSE(std::filesystem::exists(t.path() / "report.html"));
}

}  // namespace
}  // namespace lrid

// `lrid classify` and `lrid identify` from the command line: results, a saved
// classifier applied to new trajectories, and bad input as one line, exit 3.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "classifiers/classifier_test_data.h"
#include "trajectories/trajectory_dataset.h"
#include "core/files.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

using Result = test::CliResult;
Result run(const std::string& args) { return test::run_lrid(args); }

class ClassifyCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("lrid_classify_cli_{}", static_cast<long>(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& n) const { return (dir_ / n).string(); }
  fs::path dir_;
};

TEST_F(ClassifyCli, ClassifySavesAClassifierThatIdentifiesNewTrajectories) {
  const std::vector<std::string> rules = {"adam", "fa", "ia", "sgdm"};
  write_dataset(path("train.h5"), testing::synthetic_trajectories(20, rules, {"actraw_mean"}, 5.0, 1));
  write_dataset(path("new.h5"), testing::synthetic_trajectories(5, rules, {"actraw_mean"}, 5.0, 2));
  Result r = run("classify " + path("train.h5") + " -c rf --grid fast --set n_estimators=30 --splits 2 --quiet -o " +
                 path("res") + " --save-model " + path("model.pt"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("test accuracy"), std::string::npos);
  EXPECT_TRUE(fs::exists(path("res") + "/results.json"));
  r = run("identify --model " + path("model.pt") + " " + path("new.h5") + " -o " + path("ident.csv"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("row,run_id,layer,predicted,probability,recorded"), std::string::npos);
  EXPECT_NE(r.out.find("identified correctly"), std::string::npos);
  const std::string csv = read_file(path("ident.csv"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 21);  // header + 20 rows
}

TEST_F(ClassifyCli, BadInputIsOneLineExitThree) {
  write_file_atomic(path("foreign.h5"), "plain text");
  write_arrays(path("nofields.h5"), {{"X", torch::zeros({4, 2, 3})}});
  write_dataset(path("tiny.h5"), testing::synthetic_trajectories(4, {"a", "b"}, {}, 0.0, 3));
  TrajectoryDataset nan = testing::synthetic_trajectories(20, {"a", "b"}, {}, 0.0, 4);
  nan.x[3][2][1] = std::nanf("");
  write_dataset(path("nan.h5"), nan);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"classify " + path("foreign.h5"), "not an HDF5 file"},
      {"classify " + path("missing.h5"), "no such file"},
      {"classify " + path("nofields.h5"), "required dataset 'Y' is missing"},
      {"classify " + path("tiny.h5") + " --grid fast", "fewer than the 5"},
      {"classify " + path("nan.h5") + " --grid fast", "non-finite"},
      {"identify --model " + path("missing.pt") + " " + path("tiny.h5"), "no such file"},
  };
  for (const auto& [args, what] : cases) {
    Result q = run(args);
    EXPECT_EQ(q.code, 3) << args << ": " << q.out;
    EXPECT_EQ(std::count(q.out.begin(), q.out.end(), '\n'), 1) << q.out;
    EXPECT_NE(q.out.find(what), std::string::npos) << q.out;
  }
  EXPECT_NE(run("classify " + path("tiny.h5") + " -c forest").code, 0);
  EXPECT_EQ(run("classify " + path("tiny.h5") + " --set depth=3").code, 2);
}

}  // namespace
}  // namespace lrid

// `lrid classify` and `lrid identify` (app/cli_pipeline.cpp) from the command
// line: results, a saved classifier applied to new trajectories, and bad input
// as one line, exit 3.
#include <gtest/gtest.h>

#include <filesystem>

#include "classifiers/classifier_test_data.h"
#include "trajectories/trajectory_dataset.h"
#include "core/files.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

// A per-test directory and the paths of files in it.
class ClassifyCli : public ::testing::Test {
 protected:
  std::string path(const std::string& n) const { return (dir_.path() / n).string(); }
  test::TempDir dir_;
};

TEST_F(ClassifyCli, ClassifySavesAClassifierThatIdentifiesNewTrajectories) {
  const std::vector<std::string> rules = {"adam", "fa", "ia", "sgdm"};
  write_dataset(path("train.h5"), testing::synthetic_trajectories(20, rules, {"actraw_mean"}, 5.0, 1));
  write_dataset(path("new.h5"), testing::synthetic_trajectories(5, rules, {"actraw_mean"}, 5.0, 2));
  test::CliResult r = test::run_lrid("classify " + path("train.h5") +
                                     " -c rf --grid fast --set n_estimators=30 --splits 2 --quiet -o " + path("res") +
                                     " --save-model " + path("model.pt"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("test accuracy"), std::string::npos);
  EXPECT_TRUE(fs::exists(path("res") + "/results.json"));
  r = test::run_lrid("identify --model " + path("model.pt") + " " + path("new.h5") + " -o " + path("ident.csv"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("row,run_id,layer,predicted,probability,recorded"), std::string::npos);
  EXPECT_NE(r.out.find("identified correctly"), std::string::npos);
  const std::string csv = read_file(path("ident.csv"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 21);  // header + 20 rows
}

// --prefixes: one line per prefix, the accuracy table, and a file of prefix
// classifiers that identify applies to a dataset (its longest prefix).
TEST_F(ClassifyCli, PrefixesFitOneClassifierPerPrefix) {
  const std::vector<std::string> rules = {"adam", "fa", "ia", "sgdm"};
  write_dataset(path("train.h5"), testing::synthetic_trajectories(20, rules, {"actraw_mean"}, 5.0, 1, 6));
  test::CliResult r = test::run_lrid("classify " + path("train.h5") +
                                     " --grid fast --set n_estimators=20 --splits 2 --quiet --prefixes "
                                     "--prefix-lengths 1,3,6 -o " + path("res") + " --save-model " + path("p.pt"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("rf on the first 3 of 6 points (to epoch 10.00)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("saved 3 prefix classifiers"), std::string::npos);
  const std::string csv = read_file(path("res") + "/prefix_accuracy.csv");
  EXPECT_EQ(csv.rfind("k,fraction,epoch,accuracy_mean,accuracy_sem\n1,0,0,", 0), 0u) << csv;
  r = test::run_lrid("identify --model " + path("p.pt") + " " + path("train.h5"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("identified correctly"), std::string::npos);
  r = test::run_lrid("identify --model " + path("p.pt") + " " + path("train.h5") + " --follow");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--follow needs a run directory"), std::string::npos);
  r = test::run_lrid("classify " + path("train.h5") + " --grid fast --prefixes --prefix-lengths 2,9");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("prefix length 9 is outside 1..6"), std::string::npos);
}

// identify on a run directory: the run's rule from its records, one line per
// new record count; a finished run ends --follow at once.
TEST_F(ClassifyCli, IdentifyReadsARunDirectory) {
  const std::vector<std::string> rules = {"adam", "fa", "sgdm"};
  write_dataset(path("train.h5"), testing::synthetic_trajectories(12, rules, {"actraw_mean"}, 5.0, 1));
  ASSERT_EQ(test::run_lrid("classify " + path("train.h5") + " --grid fast --set n_estimators=10 --splits 2 --quiet "
                           "--prefixes --prefix-lengths 5,21 --save-model " + path("p.pt")).code, 0);
  test::CliResult r = test::run_lrid("train " + std::string(LRID_SOURCE_DIR) +
                                     "/tests/fixtures/configs/good.yaml schedule.parameters.epochs=5 --quiet --out " +
                                     path("run"));
  ASSERT_EQ(r.code, 0) << r.out;
  r = test::run_lrid("identify --model " + path("p.pt") + " " + path("run") + " --follow -o " + path("id.csv"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.rfind("point 21/21 (epoch ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(", finished):  adam "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(prefix 21: held-out accuracy "), std::string::npos) << r.out;
  const std::string csv = read_file(path("id.csv"));
  EXPECT_EQ(csv.rfind("points,epoch,prefix,adam,", 0), 0u) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 2);
}

// --rules and --where pick rows before the protocol: two rules (aliases resolved) of one architecture.
TEST_F(ClassifyCli, RulesAndWhereSelectRows) {
  write_dataset(path("d.h5"), testing::synthetic_trajectories(24, {"adam", "fa", "ia", "sgdm"}, {"actraw_mean"}, 5.0, 1));
  test::CliResult r = test::run_lrid("classify " + path("d.h5") + " --grid fast --set n_estimators=10 --splits 2 "
                                     "--quiet --rules feedback,sgdm --where architecture=knet");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("(48 rows, 24 observables, 2 rules)"), std::string::npos) << r.out;  // fa and sgdm rows are all knet
  r = test::run_lrid("classify " + path("d.h5") + " --where architecture=vgg");
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_NE(r.out.find("no row has architecture=vgg"), std::string::npos) << r.out;
  r = test::run_lrid("classify " + path("d.h5") + " --rules kp");
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_NE(r.out.find("kp"), std::string::npos) << r.out;
}

TEST_F(ClassifyCli, BadInputIsOneLineExitThree) {
  write_file_atomic(path("foreign.h5"), "plain text");
  write_arrays(path("nofields.h5"), {{"X", torch::zeros({4, 2, 3})}});
  write_dataset(path("tiny.h5"), testing::synthetic_trajectories(4, {"a", "b"}, {}, 0.0, 3));
  write_dataset(path("cut.h5"), testing::synthetic_trajectories(20, {"a", "b"}, {}, 0.0, 3));
  fs::resize_file(path("cut.h5"), fs::file_size(path("cut.h5")) / 2);  // a copy that stopped half way
  TrajectoryDataset nan = testing::synthetic_trajectories(20, {"a", "b"}, {}, 0.0, 4);
  nan.x[3][2][1] = std::nanf("");
  write_dataset(path("nan.h5"), nan);
  TrajectoryDataset unseeded = testing::synthetic_trajectories(20, {"a", "b"}, {}, 0.0, 5);
  unseeded.meta.erase("model_seed");
  write_dataset(path("unseeded.h5"), unseeded);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"classify " + path("foreign.h5"), "not an HDF5 file"},
      {"classify " + path("missing.h5"), "no such file"},
      {"classify " + path("nofields.h5"), "required dataset 'Y' is missing"},
      {"classify " + path("cut.h5"), "truncated or corrupt HDF5 file"},
      {"dataset info " + path("cut.h5"), "rebuild it with `lrid dataset build`"},
      {"classify " + path("tiny.h5") + " --grid fast --group-by row", "fewer than the 5"},
      {"classify " + path("tiny.h5") + " --grid fast", "rows in the groups drawn"},
      {"classify " + path("unseeded.h5") + " --grid fast", "no meta/model_seed"},
      {"classify " + path("nan.h5") + " --grid fast", "non-finite"},
      {"identify --model " + path("missing.pt") + " " + path("tiny.h5"), "no such file"},
  };
  for (const auto& [args, what] : cases) {
    test::CliResult q = test::run_lrid(args);
    EXPECT_EQ(q.code, 3) << args << ": " << q.out;
    EXPECT_EQ(std::count(q.out.begin(), q.out.end(), '\n'), 1) << q.out;
    EXPECT_NE(q.out.find(what), std::string::npos) << q.out;
  }
  EXPECT_NE(test::run_lrid("classify " + path("tiny.h5") + " -c forest").code, 0);
  EXPECT_NE(test::run_lrid("classify " + path("tiny.h5") + " --group-by layer").code, 0);
  EXPECT_EQ(test::run_lrid("classify " + path("tiny.h5") + " --set depth=3").code, 2);
}

}  // namespace
}  // namespace lrid

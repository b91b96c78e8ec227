// A full disk under the analysis commands' writers: `lrid dataset build` and
// `lrid dataset merge` (dataset.h5 through trajectories/trajectory_dataset.cpp's HDF5 writer),
// `lrid classify` (results, --save-model), `lrid identify -o`, `lrid experiment`
// (result files, figures, manifest) and `lrid report`. Each reports one line
// naming the file and ENOSPC, exit code 4, leaves every file whole (a previous
// result in place, no temporary), and the same command completes once there is
// space. Real: the outputs go to a small tmpfs that the test fills to the last
// byte (tests/small_disk.h); skipped where this process may not mount one.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "classifiers/classifier_test_data.h"
#include "core/files.h"
#include "experiments/experiment_test_data.h"
#include "small_disk.h"
#include "test_paths.h"
#include "test_util.h"
#include "trajectories/trajectory_dataset.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

// Every file under `dir` and its bytes (the disk's filler aside).
std::map<std::string, std::string> files_under(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename() != ".filler") out[e.path().string()] = read_file(e.path());
  return out;
}

// `lrid ARGS` on a full disk: exit 4, one error line naming ENOSPC, and the disk's files as they were.
void expect_full_disk_refusal(const std::string& args, test::SmallDisk& disk, const fs::path& dir) {
  const auto before = files_under(dir);
  disk.fill();
  const auto r = test::run_lrid(args);
  EXPECT_EQ(r.code, 4) << args << ": " << r.out;
  const auto error = r.out.find("lrid: error: ");
  ASSERT_NE(error, std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin() + static_cast<std::ptrdiff_t>(error), r.out.end(), '\n'), 1) << r.out;
  EXPECT_NE(r.out.find("No space left on device", error), std::string::npos) << r.out;
  EXPECT_EQ(files_under(dir), before) << args;  // previous files whole, no temporary left
  disk.unfill();
}

TEST(DiskFull, DatasetMergeKeepsThePreviousFileAndCompletesOnceThereIsSpace) {
  test::TempDir t;
  test::SmallDisk disk(t.path() / "disk", "4m");
  if (!disk.mounted()) GTEST_SKIP() << "needs root to mount a tmpfs";
  TrajectoryDataset all = testing::synthetic_trajectories(6, {"fa", "ia"}, {"weightraw_mean"}, 1.0, 5);
  std::vector<int64_t> seed0, others;
  for (int64_t i = 0; i < all.rows(); ++i) (all.meta.at("model_seed").ints[i] == 0 ? seed0 : others).push_back(i);
  TrajectoryDataset a = all.subset(seed0), b = all.subset(others);
  a.attributes = {{"runs", "2"}};
  b.attributes = {{"runs", "4"}};
  write_dataset((t.path() / "a.h5").string(), a);
  write_dataset((t.path() / "b.h5").string(), b);
  const fs::path out = t.path() / "disk" / "dataset.h5";
  const std::string args = fmt::format("dataset merge {} {} -o {}", (t.path() / "a.h5").string(),
                                       (t.path() / "b.h5").string(), out.string());
  ASSERT_EQ(test::run_lrid(args).code, 0);
  expect_full_disk_refusal(args, disk, t.path() / "disk");
  const auto again = test::run_lrid(args);
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_EQ(read_dataset(out.string()).rows(), all.rows());
}

// Two short runs of the test fixture config (KNet on synthetic images), collated.
TEST(DiskFull, DatasetBuildKeepsThePreviousFileAndCompletesOnceThereIsSpace) {
  test::TempDir t;
  test::SmallDisk disk(t.path() / "disk", "4m");
  if (!disk.mounted()) GTEST_SKIP() << "needs root to mount a tmpfs";
  const std::string cfg = std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/good.yaml";
  for (const std::string rule : {"sgdm", "fa"}) {
    const auto r = test::run_lrid(fmt::format("train {} -q -o {} rule.type={} observables.parameters.probe_batch=16",
                                              cfg, (t.path() / "runs" / rule).string(), rule));
    ASSERT_EQ(r.code, 0) << r.out;
  }
  const fs::path out = t.path() / "disk" / "dataset.h5";
  const std::string args = fmt::format("dataset build {} -o {}", (t.path() / "runs").string(), out.string());
  ASSERT_EQ(test::run_lrid(args).code, 0);
  expect_full_disk_refusal(args, disk, t.path() / "disk");
  const auto again = test::run_lrid(args);
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_EQ(read_dataset(out.string()).rows(), 2 * 4);  // runs x KNet layers
}

TEST(DiskFull, ClassifyAndIdentifyKeepTheirPreviousFilesAndCompleteOnceThereIsSpace) {
  test::TempDir t;
  test::SmallDisk disk(t.path() / "disk", "8m");
  if (!disk.mounted()) GTEST_SKIP() << "needs root to mount a tmpfs";
  const std::vector<std::string> rules = {"adam", "fa"};
  write_dataset((t.path() / "train.h5").string(), testing::synthetic_trajectories(10, rules, {"actraw_mean"}, 5.0, 1));
  write_dataset((t.path() / "new.h5").string(), testing::synthetic_trajectories(3, rules, {"actraw_mean"}, 5.0, 2));
  const fs::path d = t.path() / "disk";
  const std::string classify = fmt::format(
      "classify {} -c rf --grid fast --set n_estimators=10 --splits 2 --quiet -o {} --save-model {}",
      (t.path() / "train.h5").string(), (d / "res").string(), (d / "model.pt").string());
  const std::string identify = fmt::format("identify --model {} {} -o {}", (d / "model.pt").string(),
                                           (t.path() / "new.h5").string(), (d / "ident.csv").string());
  ASSERT_EQ(test::run_lrid(classify).code, 0);
  ASSERT_EQ(test::run_lrid(identify).code, 0);
  expect_full_disk_refusal(classify, disk, d);
  expect_full_disk_refusal(identify, disk, d);
  fs::remove(d / "ident.csv");  // a file that did not exist before stays absent
  expect_full_disk_refusal(identify, disk, d);
  EXPECT_FALSE(fs::exists(d / "ident.csv"));
  EXPECT_EQ(test::run_lrid(classify).code, 0);
  EXPECT_EQ(test::run_lrid(identify).code, 0);
  EXPECT_TRUE(fs::exists(d / "ident.csv"));
}

TEST(DiskFull, ExperimentAndReportKeepTheirPreviousFilesAndCompleteOnceThereIsSpace) {
  test::TempDir t;
  test::SmallDisk disk(t.path() / "disk", "16m");
  if (!disk.mounted()) GTEST_SKIP() << "needs root to mount a tmpfs";
  write_dataset((t.path() / "data.h5").string(), testing::synthetic_dataset(testing::quick_spec()));
  const fs::path d = t.path() / "disk";
  const std::string experiment = fmt::format(
      "experiment importance {} -q -o {} grid=fast splits=2 set=n_estimators=20 jobs=1 'measures=[weight]' "
      "'rules=[adam,feedback]'", (t.path() / "data.h5").string(), (d / "results").string());
  const std::string report = fmt::format("report {} -o {}", (d / "results").string(), (d / "report.html").string());
  ASSERT_EQ(test::run_lrid(experiment).code, 0);
  ASSERT_EQ(test::run_lrid(report).code, 0);
  expect_full_disk_refusal(experiment, disk, d);
  expect_full_disk_refusal(report, disk, d);
  EXPECT_EQ(test::run_lrid(experiment).code, 0);
  const auto r = test::run_lrid(report);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_GT(fs::file_size(d / "report.html"), 1000u);
}

}  // namespace
}  // namespace lrid

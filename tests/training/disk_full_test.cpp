// A full disk under `lrid train` (training/checkpoint.cpp, metrics_log.cpp and
// core/files.cpp's writers): one line naming the file and ENOSPC, exit code 4,
// every file on disk whole (the previous checkpoint in place), and after space
// is freed the same command resumes and ends as an uninterrupted run. Real:
// the run directory is a small tmpfs; skipped where this process may not mount one.
#include <gtest/gtest.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

#include "small_disk.h"
#include "test_paths.h"
#include "test_tensors.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

TEST(DiskFull, TrainReportsItKeepsWholeFilesAndResumesOnceThereIsSpace) {
  test::TempDir t;
  test::SmallDisk disk(t.path() / "disk", "1000k");  // room for one checkpoint of this fixture (~580 KB), not two
  if (!disk.mounted()) GTEST_SKIP() << "needs root to mount a tmpfs";
  const std::string fixture = std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/data_parallel.yaml";
  const std::string args = fmt::format("train {} schedule.parameters.epochs=40 run.parameters.checkpoint_every=5 -q -o ",
                                       fixture);
  const auto full = test::run_lrid(args + (t.path() / "disk/run").string());
  EXPECT_EQ(full.code, 4) << full.out;
  EXPECT_EQ(std::count(full.out.begin(), full.out.end(), '\n'), 1) << full.out;
  EXPECT_NE(full.out.find("No space left on device"), std::string::npos) << full.out;
  // Whole files only: no temporary left, and every checkpoint loads.
  int checkpoints = 0;
  for (const auto& e : fs::recursive_directory_iterator(t.path() / "disk/run")) {
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
    if (e.path().extension() == ".pt") {
      EXPECT_NO_THROW(test::checkpoint_params(e.path())) << e.path();
      ++checkpoints;
    }
  }
  EXPECT_GE(checkpoints, 1);
  ASSERT_TRUE(disk.resize("20m"));
  const auto again = test::run_lrid(args + (t.path() / "disk/run").string());
  ASSERT_EQ(again.code, 0) << again.out;
  const auto whole = test::run_lrid(args + (t.path() / "whole/run").string());
  ASSERT_EQ(whole.code, 0) << whole.out;
  const auto a = test::checkpoint_params(t.path() / "disk/run/checkpoints/step_160.pt");
  const auto b = test::checkpoint_params(t.path() / "whole/run/checkpoints/step_160.pt");
  for (const auto& [k, w] : a) EXPECT_TRUE(torch::equal(w, b.at(k))) << k;
}

}  // namespace
}  // namespace lrid

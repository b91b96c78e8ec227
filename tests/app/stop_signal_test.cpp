// SIGTERM (app/stop_signal.cpp, the trainer's stop at a step boundary, the
// launcher and the sweep passing it on): exit code 75, a checkpoint at the
// step reached, and the same command resuming to exactly the uninterrupted
// run's weights, metrics and observable streams.
#include "app/stop_signal.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <torch/serialize.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "core/files.h"
#include "test_paths.h"
#include "test_tensors.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

std::string stop_fixture() { return std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/data_parallel.yaml"; }

const char* kLongRun =
    "schedule.parameters.epochs=150 observables.parameters.points=5 run.parameters.checkpoint_every=40 -q";

// Starts `lrid ARGS` (stdout and stderr to `log`); returns its pid.
pid_t start(const std::string& args, const fs::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string cmd = fmt::format("exec {} {} > {} 2>&1", LRID_BINARY, args, log.string());
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// SIGTERM once `file` exists (the run is under way); the exit status.
int terminate_when(pid_t pid, const fs::path& file) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(file) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

// metrics.csv without its two time columns.
std::string metrics_without_times(const fs::path& file) {
  std::ifstream in(file);
  std::string line, out;
  while (std::getline(in, line)) {
    for (int cut = 0; cut < 2; ++cut) line = line.substr(0, line.rfind(','));
    out += line + "\n";
  }
  return out;
}

// The uninterrupted run against `dir`, resumed after a SIGTERM: the same.
void expect_same_as_uninterrupted(const fs::path& dir, const fs::path& whole) {
  const auto a = test::checkpoint_params(dir / "checkpoints/step_600.pt");
  const auto b = test::checkpoint_params(whole / "checkpoints/step_600.pt");
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [k, w] : a) EXPECT_TRUE(torch::equal(w, b.at(k))) << k;
  EXPECT_EQ(metrics_without_times(dir / "metrics.csv"), metrics_without_times(whole / "metrics.csv"));
  // Same leaf name, so the streams' run column agrees too.
  EXPECT_EQ(read_file(dir / "observables/full.csv"), read_file(whole / "observables/full.csv"));
}

TEST(StopSignal, TrainCheckpointsExits75AndResumesWithNoStepLost) {
  test::TempDir t;
  const std::string args = fmt::format("train {} {} -o {}/run", stop_fixture(), kLongRun, t.str());
  const int status = terminate_when(start(args, t.path() / "run.log"), t.path() / "run/metrics.csv");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kExitInterrupted) << read_file(t.path() / "run.log");
  const std::string st = read_file(t.path() / "run/status.json");
  EXPECT_NE(st.find("\"interrupted\""), std::string::npos) << st;
  const std::string log = read_file(t.path() / "run.log");
  EXPECT_NE(log.find("run the same command to resume"), std::string::npos) << log;
  ASSERT_EQ(test::run_lrid(args).code, 0);
  ASSERT_EQ(test::run_lrid(fmt::format("train {} {} -o {}/whole/run", stop_fixture(), kLongRun, t.str())).code, 0);
  expect_same_as_uninterrupted(t.path() / "run", t.path() / "whole/run");
}

// Two ranks under the launcher: it passes the signal on, both stop at the same
// step, and a resumed 2-rank run ends as an uninterrupted one.
TEST(StopSignal, LauncherPassesItToEveryRank) {
  test::TempDir t;
  const std::string args = fmt::format("train {} {} -o {}/run --nproc 2", stop_fixture(), kLongRun, t.str());
  const int status = terminate_when(start(args, t.path() / "run.log"), t.path() / "run/metrics.csv");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kExitInterrupted) << read_file(t.path() / "run.log");
  ASSERT_EQ(test::run_lrid(args).code, 0);
  ASSERT_EQ(test::run_lrid(fmt::format("train {} {} -o {}/whole/run --nproc 2", stop_fixture(), kLongRun, t.str())).code,
            0);
  expect_same_as_uninterrupted(t.path() / "run", t.path() / "whole/run");
}

// A sweep passes it to its runs, starts no more, and exits 75; run again, it finishes.
TEST(StopSignal, SweepStopsItsRunsAndGoesOnWhenRunAgain) {
  test::TempDir t;
  const std::string sweep = std::string(LRID_SOURCE_DIR) + "/tests/engines/slurm_sweep.yaml";
  const std::string args = fmt::format("sweep {} schedule.parameters.epochs=60 -q -j 1 -o {}/sweep", sweep, t.str());
  const int status = terminate_when(start(args, t.path() / "sweep.log"), t.path() / "sweep");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kExitInterrupted) << read_file(t.path() / "sweep.log");
  EXPECT_NE(read_file(t.path() / "sweep.log").find("stopped by SIGTERM"), std::string::npos);
  const auto again = test::run_lrid(args);
  EXPECT_EQ(again.code, 0) << again.out;
}

}  // namespace
}  // namespace lrid

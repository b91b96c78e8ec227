// Sweep runs as processes: finished runs are skipped (from status.json, not
// log text), and datasets do not depend on --jobs, sharding, or a kill -9 and resume.
#include "app/sweep_runner.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "core/dir_lock.h"
#include "core/errors.h"
#include "core/run_status.h"
#include "test_paths.h"
#include "test_util.h"
#include "trajectories/dataset_builder.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

std::string small_sweep() { return std::string(LRID_SOURCE_DIR) + "/tests/fixtures/sweeps/small.yaml"; }

int lrid(const std::string& args) { return test::run_lrid(args + " >/dev/null").code; }

TEST(SweepRunner, CountsFinishedThenSkippedRunsFromTheirStatus) {
  test::TempDir t;
  SweepPlan plan = load_sweep(small_sweep());
  plan.runs.resize(2);
  SweepOptions o;
  o.jobs = 2;
  o.progress = false;
  SweepSummary first = run_sweep(plan, t.path(), o, LRID_BINARY);
  EXPECT_EQ(first.finished, 2);
  EXPECT_EQ(first.skipped, 0);
  EXPECT_EQ(first.failed + first.diverged, 0) << (first.problems.empty() ? "" : first.problems.front());
  for (const auto& r : plan.runs) EXPECT_EQ(status_name(t.path() / r.name), "finished");
  SweepSummary second = run_sweep(plan, t.path(), o, LRID_BINARY);
  EXPECT_EQ(second.finished, 0);
  EXPECT_EQ(second.skipped, 2);
  // A run directory holding another configuration makes its child fail, and the sweep says which.
  plan.runs[0].overrides.push_back("run.parameters.log_every=7");
  SweepSummary third = run_sweep(plan, t.path(), o, LRID_BINARY);
  EXPECT_EQ(third.failed, 1);
  EXPECT_EQ(third.skipped, 1);
  ASSERT_EQ(third.problems.size(), 1u);
  EXPECT_NE(third.problems[0].find(plan.runs[0].name), std::string::npos) << third.problems[0];
}

// Two sweep processes on one shard of one folder: the second refuses (Slurm's
// array tasks, each on its own shard, share the folder freely).
TEST(SweepRunner, SecondProcessOnTheSameShardRefuses) {
  test::TempDir t;
  SweepPlan plan = load_sweep(small_sweep());
  plan.runs.resize(1);
  SweepOptions o;
  o.progress = false;
  o.shard = 1;
  o.shards = 3;
  const DirLock held(t.path(), "held", ".lrid-sweep-1-of-3.lock");  // as if another process ran shard 1/3
  test::expect_error<IoError>([&] { run_sweep(plan, t.path(), o, LRID_BINARY); }, "shard 1/3 is in use by process");
  o.shard = 0;
  EXPECT_NO_THROW(run_sweep(plan, t.path(), o, LRID_BINARY));
}

// X, Y and layer of a dataset built from a sweep directory.
std::tuple<torch::Tensor, std::vector<std::string>, std::vector<std::string>> dataset_of(const fs::path& dir) {
  TrajectoryDataset d = build_dataset({dir.string()}, {});
  return {d.x, d.y, d.meta.at("layer").strings};
}

TEST(SweepRunner, DatasetsDoNotDependOnJobsShardsOrAKillAndResume) {
  const fs::path root = fs::temp_directory_path() / fmt::format("lrid_sweep_{}", static_cast<long>(getpid()));
  fs::remove_all(root);
  const std::string file = small_sweep();
  ASSERT_EQ(lrid("sweep " + file + " -q -j 1 -o " + (root / "serial").string()), 0);
  ASSERT_EQ(lrid("sweep " + file + " -q -j 2 -o " + (root / "jobs2").string()), 0);
  ASSERT_EQ(lrid("sweep " + file + " -q -j 1 --shard 0/2 -o " + (root / "sharded").string()), 0);
  ASSERT_EQ(lrid("sweep " + file + " -q -j 1 --shard 1/2 -o " + (root / "sharded").string()), 0);
  // Killed at a random moment (the whole process group), then resumed.
  std::mt19937 rng(static_cast<unsigned>(std::random_device{}()));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setpgid(0, 0);
    const std::string out = (root / "killed").string();
    execl(LRID_BINARY, LRID_BINARY, "sweep", file.c_str(), "-q", "-j", "2", "schedule.parameters.epochs=20", "-o",
          out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng() % 2000));
  kill(-pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the sweep finished before it was killed";
  ASSERT_EQ(lrid("sweep " + file + " -q -j 2 schedule.parameters.epochs=20 -o " + (root / "killed").string()), 0);
  ASSERT_EQ(lrid("sweep " + file + " -q -j 1 schedule.parameters.epochs=20 -o " + (root / "whole").string()), 0);

  auto [x, y, layer] = dataset_of(root / "serial");
  for (const char* other : {"jobs2", "sharded"}) {
    auto [x2, y2, l2] = dataset_of(root / other);
    EXPECT_TRUE(torch::equal(x, x2)) << other;
    EXPECT_EQ(y, y2) << other;
    EXPECT_EQ(layer, l2) << other;
  }
  auto [xk, yk, lk] = dataset_of(root / "killed");
  auto [xw, yw, lw] = dataset_of(root / "whole");
  EXPECT_TRUE(torch::equal(xk, xw));
  EXPECT_EQ(yk, yw);
  fs::remove_all(root);
}

}  // namespace
}  // namespace lrid

// Data-parallel training (training/distributed.cpp, the trainer's rank logic
// and app/launcher.cpp): the launchers' variables, Gloo collectives, and, by
// running the lrid binary as real ranks, N ranks of batch b/N against one
// process of batch b, a rank killed with SIGKILL, and resuming afterwards.
#include "training/distributed.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <torch/serialize.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "core/errors.h"
#include "core/files.h"
#include "core/run_status.h"
#include "test_paths.h"
#include "test_tensors.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;
using test::run_lrid;

// --- the launchers' variables ---------------------------------------------------

using Vars = std::map<std::string, std::string>;

RankEnvironment env_from(const Vars& vars) {
  return rank_environment([&](const char* key) -> const char* {
    const auto it = vars.find(key);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(RankEnvironment, NoLauncherIsOneProcess) {
  const RankEnvironment e = env_from({});
  EXPECT_EQ(e.world_size, 1);
  EXPECT_EQ(e.rank, 0);
  EXPECT_EQ(e.launcher, "none");
}

TEST(RankEnvironment, TorchrunVariables) {
  const RankEnvironment e = env_from({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"},
                                      {"LOCAL_WORLD_SIZE", "2"}, {"MASTER_ADDR", "node7"}, {"MASTER_PORT", "29511"}});
  EXPECT_EQ(e.launcher, "torchrun");
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.world_size, 4);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world_size, 2);
  EXPECT_EQ(e.master_addr, "node7");
  EXPECT_EQ(e.master_port, 29511);
}

TEST(RankEnvironment, SrunVariablesWithTheFirstHostOfTheNodeList) {
  const RankEnvironment e =
      env_from({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "8"}, {"SLURM_STEP_NUM_TASKS", "6"}, {"SLURM_LOCALID", "1"},
                {"SLURM_STEP_ID", "0"}, {"SLURM_JOB_ID", "1234"}, {"SLURM_STEP_NODELIST", "gpu[03-05,09],cpu1"},
                {"SLURM_STEP_TASKS_PER_NODE", "2(x3)"}});
  EXPECT_EQ(e.launcher, "slurm");
  EXPECT_EQ(e.rank, 5);
  EXPECT_EQ(e.world_size, 6);  // the step's tasks, not the job's
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world_size, 2);
  EXPECT_EQ(e.master_addr, "gpu03");
  EXPECT_EQ(e.master_port, 20000 + (1234 * 7) % 20000);
}

TEST(RankEnvironment, TorchrunVariablesWinAndABatchScriptIsOneProcess) {
  // A sweep's child (WORLD_SIZE=1) inside a two-task allocation trains alone.
  EXPECT_EQ(env_from({{"WORLD_SIZE", "1"}, {"RANK", "0"}, {"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "2"},
                      {"SLURM_STEP_ID", "0"}, {"SLURM_JOB_NODELIST", "a"}})
                .world_size,
            1);
  // The batch script of an -n2 job, outside srun: no step id, so no rendezvous to wait for.
  EXPECT_EQ(env_from({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"SLURM_JOB_NODELIST", "a"}}).world_size, 1);
}

TEST(RankEnvironment, MalformedVariablesAreNamed) {
  test::expect_error<DistributedError>([] { env_from({{"WORLD_SIZE", "two"}, {"RANK", "0"}}); }, "WORLD_SIZE=two");
  test::expect_error<DistributedError>([] { env_from({{"WORLD_SIZE", "2"}, {"RANK", "2"}}); }, "RANK=2");
  test::expect_error<DistributedError>([] { env_from({{"WORLD_SIZE", "2"}}); }, "RANK is not");
  test::expect_error<DistributedError>(
      [] { env_from({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_PORT", "70000"}}); }, "MASTER_PORT=70000");
}

TEST(FirstHost, SlurmNodeLists) {
  EXPECT_EQ(first_host("vm"), "vm");
  EXPECT_EQ(first_host("node[01-04]"), "node01");
  EXPECT_EQ(first_host("gpu[7,9-11],cpu[1-2]"), "gpu7");
  EXPECT_EQ(first_host("a1,b[2-3]"), "a1");
  EXPECT_EQ(first_host("rack[2-3]-n"), "rack2-n");
  test::expect_error<DistributedError>([] { first_host("node[01-04"); }, "node[01-04");
}

// --- Gloo collectives, two ranks as two threads of this process --------------------

TEST(DataParallel, GlooBroadcastAllReduceAndBarrierOnTwoRanks) {
  const int port = free_local_port();
  std::vector<torch::Tensor> got(2), sums(2);
  auto rank_main = [&](int rank) {
    RankEnvironment env;
    env.rank = rank;
    env.world_size = 2;
    env.master_port = port;
    DataParallel dp(env, torch::kCPU, std::chrono::seconds(30));
    EXPECT_EQ(dp.backend_name(), "gloo");
    // Tensors of different sizes in one call (Gloo alone would read them as copies of one).
    torch::Tensor a = torch::full({3}, static_cast<double>(rank + 1), torch::kFloat64);
    torch::Tensor b = torch::full({2, 2}, static_cast<float>(10 * (rank + 1)));
    dp.broadcast({a, b});
    got[static_cast<size_t>(rank)] = torch::cat({a.to(torch::kFloat32), b.flatten()});
    torch::Tensor c = torch::arange(5, torch::kFloat32) * (rank + 1);
    torch::Tensor n = torch::tensor({static_cast<int64_t>(rank + 1)});
    dp.all_reduce_sum({c, n});
    sums[static_cast<size_t>(rank)] = torch::cat({c, n.to(torch::kFloat32)});
    dp.barrier();
  };
  std::thread r1(rank_main, 1);
  rank_main(0);
  r1.join();
  const torch::Tensor want_b = torch::tensor({1, 1, 1, 10, 10, 10, 10}, torch::kFloat32);  // rank 0's
  const torch::Tensor want_s = torch::tensor({0, 3, 6, 9, 12, 3}, torch::kFloat32);        // 1x + 2x, 1 + 2
  for (int r = 0; r < 2; ++r) {
    EXPECT_TRUE(torch::equal(got[static_cast<size_t>(r)], want_b)) << got[static_cast<size_t>(r)];
    EXPECT_TRUE(torch::equal(sums[static_cast<size_t>(r)], want_s)) << sums[static_cast<size_t>(r)];
  }
}

// The same on NCCL, one GPU per rank; skipped without two CUDA devices (the
// device script runs it where a GPU machine is lent).
TEST(DataParallel, NcclBroadcastAndAllReduceOnTwoGpus) {
  if (torch::cuda::device_count() < 2) GTEST_SKIP() << "needs two CUDA devices";
  const int port = free_local_port();
  std::vector<torch::Tensor> sums(2);
  auto rank_main = [&](int rank) {
    RankEnvironment env;
    env.rank = rank;
    env.world_size = 2;
    env.master_port = port;
    const torch::Device dev(torch::kCUDA, static_cast<c10::DeviceIndex>(rank));
    DataParallel dp(env, dev, std::chrono::seconds(60));
    EXPECT_EQ(dp.backend_name(), "nccl");
    torch::Tensor a = torch::full({3}, static_cast<float>(rank + 1), torch::TensorOptions().device(dev));
    dp.broadcast({a});
    torch::Tensor c = torch::arange(4, torch::TensorOptions().dtype(torch::kFloat32).device(dev)) * (rank + 1);
    dp.all_reduce_sum({c});
    sums[static_cast<size_t>(rank)] = torch::cat({a, c}).cpu();
  };
  std::thread r1(rank_main, 1);
  rank_main(0);
  r1.join();
  const torch::Tensor want = torch::tensor({1, 1, 1, 0, 3, 6, 9}, torch::kFloat32);
  for (const auto& s : sums) EXPECT_TRUE(torch::equal(s, want)) << s;
}

// --- real ranks: the lrid binary ---------------------------------------------------

std::string dp_fixture() { return std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/data_parallel.yaml"; }

// The numbers of a CSV file, row by row, without the time columns.
std::vector<double> csv_numbers(const fs::path& file, const std::vector<std::string>& skip) {
  std::ifstream in(file);
  std::string line, cell;
  std::getline(in, line);
  std::vector<std::string> header;
  std::stringstream hs(line);
  while (std::getline(hs, cell, ',')) header.push_back(cell);
  std::vector<double> out;
  while (std::getline(in, line)) {
    std::stringstream ls(line);
    for (std::size_t c = 0; std::getline(ls, cell, ','); ++c) {
      if (c < header.size() && std::find(skip.begin(), skip.end(), header[c]) != skip.end()) continue;
      char* end = nullptr;
      const double v = std::strtod(cell.c_str(), &end);
      if (end != cell.c_str()) out.push_back(v);
    }
  }
  return out;
}

class DataParallelEquivalence : public ::testing::TestWithParam<std::string> {};

// N ranks with batch b/N take the steps of one process with batch b: after 12
// steps the weights agree to float round-off (the mean of the ranks' mean
// gradients is the batch's mean gradient, summed in another order), far below
// how far training moved them (against a run with lr 1e-12: the start); the
// metrics and the observable streams agree.
TEST_P(DataParallelEquivalence, TwoRanksOfHalfBatchesEqualOneProcess) {
  const std::string rule = GetParam();
  std::string args = "rule.type=" + rule;
  // Adam's eps well above this fixture's tiny gradients: near eps=1e-8 it divides
  // round-off by round-off and amplifies it to the size of a step.
  if (rule == "adam") args += " optimizer.type=adam optimizer.parameters.lr=0.001 optimizer.parameters.eps=1e-3";
  // IA and KP train B (IA by its alignment loss with Adam, its default; KP by decay):
  // B's gradients are averaged with W's.
  test::TempDir t;
  const auto one = run_lrid(fmt::format("train {} {} -q -o {}/one", dp_fixture(), args, t.str()));
  ASSERT_EQ(one.code, 0) << one.out;
  const auto two = run_lrid(fmt::format("train {} {} -q -o {}/two --nproc 2", dp_fixture(), args, t.str()));
  ASSERT_EQ(two.code, 0) << two.out;
  const auto start = run_lrid(
      fmt::format("train {} {} optimizer.parameters.lr=1e-12 -q -o {}/start", dp_fixture(), args, t.str()));
  ASSERT_EQ(start.code, 0) << start.out;
  const auto w1 = test::checkpoint_params(t.path() / "one/checkpoints/step_12.pt");
  const auto w2 = test::checkpoint_params(t.path() / "two/checkpoints/step_12.pt");
  const auto w0 = test::checkpoint_params(t.path() / "start/checkpoints/step_12.pt");
  ASSERT_EQ(w1.size(), w2.size());
  // Measured: at most 4e-9 apart after 12 steps (fp32), while every tensor that trains moved by far more.
  for (const auto& [k, w] : w1) {
    const double moved = (w - w0.at(k)).norm().item<double>(), apart = (w - w2.at(k)).norm().item<double>();
    const bool trains_b = rule == "ia" || rule == "kp";
    if (k.find("feedback") == std::string::npos || trains_b) EXPECT_GT(moved, 1e-6) << k;
    EXPECT_LE(apart, 1e-3 * moved) << k << ": moved " << moved << ", apart " << apart;
    EXPECT_TRUE(torch::allclose(w, w2.at(k), 1e-4, 1e-7)) << k;
  }

  const std::vector<std::string> times = {"record_time_s", "wall_time_s", "time_s"};
  const auto m1 = csv_numbers(t.path() / "one/metrics.csv", times);
  const auto m2 = csv_numbers(t.path() / "two/metrics.csv", times);
  ASSERT_EQ(m1.size(), m2.size());
  for (std::size_t i = 0; i < m1.size(); ++i) EXPECT_NEAR(m1[i], m2[i], 1e-4 * (1 + std::abs(m1[i]))) << i;
  const auto s1 = csv_numbers(t.path() / "one/observables/full.csv", times);
  const auto s2 = csv_numbers(t.path() / "two/observables/full.csv", times);
  ASSERT_EQ(s1.size(), s2.size());
  ASSERT_GT(s1.size(), 100u);
  for (std::size_t i = 0; i < s1.size(); ++i) EXPECT_NEAR(s1[i], s2[i], 1e-3 * (1 + std::abs(s1[i]))) << i;
}

INSTANTIATE_TEST_SUITE_P(Rules, DataParallelEquivalence, ::testing::Values("sgdm", "adam", "fa", "ia", "kp"));

// torchrun itself (the venv's, from the same wheel) as the launcher: its agent
// serves the store and lrid's ranks join it; the run equals `--nproc 2`'s.
TEST(DataParallelLaunchers, TorchrunRunEqualsTheNprocRun) {
  const fs::path python = LRID_PYTHON;
  const fs::path torchrun = python.parent_path() / "torchrun";
  if (python.empty() || !fs::exists(torchrun)) GTEST_SKIP() << "no torchrun next to " << LRID_PYTHON;
  test::TempDir t;
  const std::string args = fmt::format("train {} observables.parameters.points=3 -q", dp_fixture());
  const std::string cmd = fmt::format("{} --nproc-per-node 2 --master-port {} --no-python {} {} -o {}/a/run 2>&1",
                                      torchrun.string(), free_local_port(), LRID_BINARY, args, t.str());
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  ASSERT_EQ(pclose(p), 0) << out;
  EXPECT_EQ(out.find("failed to bind"), std::string::npos) << out;  // rank 0 joins the agent's store
  ASSERT_EQ(run_lrid(fmt::format("{} -o {}/b/run --nproc 2", args, t.str())).code, 0);
  const std::vector<std::string> times = {"record_time_s", "wall_time_s"};
  EXPECT_EQ(csv_numbers(t.path() / "a/run/metrics.csv", times), csv_numbers(t.path() / "b/run/metrics.csv", times));
  const auto status = read_status(t.path() / "a/run");
  ASSERT_TRUE(status && status->result);
  EXPECT_EQ(status->result->world_size, 2);
}

// BatchNorm's statistics are per rank, so a BN model's 2-rank run is not the
// 1-process run; both must train (synthetic classes are separable), to within a band.
TEST(DataParallelBatchNorm, TwoRanksTrainToTheSameAccuracyBand) {
  test::TempDir t;
  const std::string args = "model.type=knet schedule.parameters.epochs=40 observables.parameters.points=2 "
                           "run.parameters.checkpoint_every=0 data.parameters.train_size=256 "
                           "data.parameters.test_size=256 run.parameters.log_every=1000";
  const auto one = run_lrid(fmt::format("train {} {} -q -o {}/one", dp_fixture(), args, t.str()));
  ASSERT_EQ(one.code, 0) << one.out;
  const auto two = run_lrid(fmt::format("train {} {} -q -o {}/two --nproc 2", dp_fixture(), args, t.str()));
  ASSERT_EQ(two.code, 0) << two.out;
  auto accuracy = [](const fs::path& metrics) {
    std::ifstream in(metrics);
    std::string line, last_test;
    while (std::getline(in, line))
      if (line.find(",test,") != std::string::npos) last_test = line;
    std::stringstream ls(last_test);
    std::string cell;
    for (int c = 0; c < 5; ++c) std::getline(ls, cell, ',');
    return std::stod(cell);
  };
  const double a1 = accuracy(t.path() / "one/metrics.csv"), a2 = accuracy(t.path() / "two/metrics.csv");
  EXPECT_GT(a1, 0.6) << "chance is 0.25";
  EXPECT_GT(a2, 0.6);
  EXPECT_NEAR(a1, a2, 0.15);
}

// A rank started as torchrun would start it, its output in `log`.
pid_t start_rank(int rank, int port, const std::string& args, const fs::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    setenv("RANK", std::to_string(rank).c_str(), 1);
    setenv("WORLD_SIZE", "2", 1);
    setenv("MASTER_ADDR", "127.0.0.1", 1);
    setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
    const std::string cmd = fmt::format("exec {} train {} {} > {} 2>&1", LRID_BINARY, dp_fixture(), args, log.string());
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// Rank 1 killed with SIGKILL mid-run: rank 0 stops within a bounded time with
// one line naming rank 1, every checkpoint on disk is whole, and running the
// same command again resumes and ends where an uninterrupted run ends.
TEST(DataParallelFaults, KilledRankStopsTheOtherAndTheRunResumes) {
  test::TempDir t;
  const std::string args = fmt::format("schedule.parameters.epochs=150 observables.parameters.points=2 "
                                       "run.parameters.checkpoint_every=20 run.parameters.log_every=40 -q -o {}/run",
                                       t.str());
  const int port = free_local_port();
  const pid_t r0 = start_rank(0, port, args, t.path() / "rank0.log");
  const pid_t r1 = start_rank(1, port, args, t.path() / "rank1.log");
  // Kill rank 1 once the first checkpoint exists (the run has 600 steps, a checkpoint every 80).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(t.path() / "run/checkpoints/step_80.pt") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(fs::exists(t.path() / "run/checkpoints/step_80.pt"));
  ASSERT_EQ(kill(r1, SIGKILL), 0);
  const auto killed = std::chrono::steady_clock::now();
  int status = 0;
  waitpid(r1, &status, 0);
  // Rank 0 must stop by itself, non-zero, within the bound (5 s for the survivors' roll call, plus slack).
  pid_t done = 0;
  while ((done = waitpid(r0, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() - killed < std::chrono::seconds(30))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (done == 0) kill(r0, SIGKILL);
  ASSERT_EQ(done, r0) << "rank 0 did not stop within 30 s of losing rank 1";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 6);
  const std::string log0 = read_file(t.path() / "rank0.log");
  EXPECT_NE(log0.find("lost rank 1"), std::string::npos) << log0;
  EXPECT_EQ(std::count(log0.begin(), log0.end(), '\n'), 1) << log0;
  for (const auto& e : fs::directory_iterator(t.path() / "run/checkpoints")) {
    EXPECT_EQ(e.path().extension(), ".pt") << "half-written " << e.path();
    EXPECT_NO_THROW(test::checkpoint_params(e.path())) << e.path();
  }
  // The same command again (through the launcher this time) resumes and finishes.
  const auto again = run_lrid(fmt::format("train {} {} --nproc 2", dp_fixture(), args));
  ASSERT_EQ(again.code, 0) << again.out;
  const auto whole = run_lrid(fmt::format("train {} {} --nproc 2", dp_fixture(),
                                          fmt::format("schedule.parameters.epochs=150 observables.parameters.points=2 "
                                                      "run.parameters.checkpoint_every=20 run.parameters.log_every=40 "
                                                      "-q -o {}/whole",
                                                      t.str())));
  ASSERT_EQ(whole.code, 0) << whole.out;
  const auto resumed = test::checkpoint_params(t.path() / "run/checkpoints/step_600.pt");
  const auto uninterrupted = test::checkpoint_params(t.path() / "whole/checkpoints/step_600.pt");
  for (const auto& [k, w] : resumed) EXPECT_TRUE(torch::equal(w, uninterrupted.at(k))) << k;
}

// The launcher names a rank that was killed, stops the others and fails.
TEST(DataParallelFaults, LauncherReportsAKilledRank) {
  test::TempDir t;
  const std::string cmd = fmt::format(
      "{} train {} schedule.parameters.epochs=100000 observables.parameters.points=2 run.parameters.checkpoint_every=0 "
      "-q -o {}/run --nproc 2 > {}/launcher.log 2>&1",
      LRID_BINARY, dp_fixture(), t.str(), t.str());
  const pid_t launcher = fork();
  if (launcher == 0) {
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Find rank 1: the launcher's child whose environment says RANK=1.
  pid_t rank1 = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (rank1 == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (const auto& e : fs::directory_iterator("/proc")) {
      const std::string name = e.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::string stat, env;
      try {  // a process may end between the listing and the read
        stat = read_file(e.path() / "stat");
        env = read_file(e.path() / "environ");
      } catch (const IoError&) {
        continue;
      }
      const auto close = stat.rfind(')');
      if (close == std::string::npos) continue;
      std::stringstream rest(stat.substr(close + 2));
      std::string state;
      long ppid = 0;
      rest >> state >> ppid;
      if (ppid != launcher) continue;
      const bool rank_one = env.find(std::string("RANK=1") + '\0') != std::string::npos;
      if (rank_one && env.find("MASTER_PORT=") != std::string::npos && fs::exists(t.path() / "run/config.yaml"))
        rank1 = static_cast<pid_t>(std::stol(name));
    }
  }
  ASSERT_NE(rank1, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // into the training steps
  kill(rank1, SIGKILL);
  int status = 0;
  waitpid(launcher, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGKILL);
  const std::string log = read_file(t.path() / "launcher.log");
  EXPECT_NE(log.find("lrid: rank 1 (pid " + std::to_string(rank1) + ") was killed by signal 9 (KILL)"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("lost rank 1"), std::string::npos) << log;
}

}  // namespace
}  // namespace lrid

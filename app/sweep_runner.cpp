// Sweep runs as child processes. See sweep_runner.h.
#include "app/sweep_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "app/device_pool.h"
#include "app/stop_signal.h"
#include "core/dir_lock.h"
#include "core/errors.h"
#include "core/files.h"
#include "core/progress.h"
#include "core/run_status.h"

namespace lrid {
namespace fs = std::filesystem;

namespace {

// Starts `lrid train` for one run with stdout and stderr appended to dir/lrid.log,
// on `devices` (CUDA_VISIBLE_DEVICES) when GPUs are shared out.
pid_t start_run(const SweepPlan& plan, const SweepRun& r, const fs::path& dir, const std::string& lrid_binary,
                const std::vector<std::string>& devices) {
  std::vector<std::string> args = {lrid_binary, "train", plan.base};
  args.insert(args.end(), r.overrides.begin(), r.overrides.end());
  // One thread per run, whatever --jobs is: results do not depend on how a sweep is
  // parallelised or sharded (reduction order can depend on the thread count).
  args.push_back("run.parameters.threads=1");
  args.push_back(fmt::format("run.parameters.name={}", r.name));
  args.insert(args.end(), {"--quiet", "--out", dir.string()});
  if (devices.size() > 1) args.insert(args.end(), {"--nproc", std::to_string(devices.size())});
  std::string visible;
  for (const auto& d : devices) visible += (visible.empty() ? "" : ",") + d;
  const pid_t pid = fork();
  if (pid < 0) throw IoError("cannot fork a run process");
  if (pid == 0) {
    // One process per run: a sweep inside an srun step or a torchrun job must
    // not make its runs join that job's rendezvous.
    for (const char* v : {"RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "SLURM_PROCID",
                          "SLURM_STEP_ID", "SLURM_STEP_NUM_TASKS"})
      unsetenv(v);
    unsetenv("WORLD_SIZE");
    if (!devices.empty()) setenv("CUDA_VISIBLE_DEVICES", visible.c_str(), 1);
    const int fd = ::open((dir / "lrid.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(lrid_binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

// A running child: its run, and whether that run had finished before it started
// (then the child only checks the configuration, and the run counts as skipped).
struct Child {
  std::size_t run;
  bool was_finished;
  std::vector<std::string> devices;  // handed back to the pool when it exits
};

// Counts a child that exited: by its exit status and the run's status.json.
void collect(SweepSummary& sum, const SweepRun& r, const fs::path& dir, const Child& child, int status) {
  const std::string st = status_name(dir);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 0 && st == "finished") {
    (child.was_finished ? sum.skipped : sum.finished) += 1;
  } else if (code == kExitInterrupted || st == "interrupted") {
    ++sum.interrupted;
    sum.problems.push_back(fmt::format("{}: interrupted by SIGTERM (resumes when the sweep runs again)", r.name));
  } else if (st == "diverged") {
    ++sum.diverged;
    sum.problems.push_back(fmt::format("{}: diverged (see {}/status.json)", r.name, dir.string()));
  } else {
    ++sum.failed;
    sum.problems.push_back(fmt::format("{}: failed with exit code {} (see {}/lrid.log)", r.name, code, dir.string()));
  }
}

}  // namespace

SweepSummary run_sweep(const SweepPlan& plan, const fs::path& out, const SweepOptions& o,
                       const std::string& lrid_binary) {
  if (o.jobs < 1) throw ConfigError(fmt::format("--jobs {}: must be at least 1", o.jobs));
  DevicePool pool(o.devices, o.gpus_per_run);
  const int64_t jobs = std::min(o.jobs, pool.capacity());
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<SweepRun> mine = shard_runs(plan, o.shard, o.shards);
  // One process per shard of a sweep folder (Slurm's array tasks share it); each run locks its own directory.
  const DirLock lock(out, fmt::format("sweep folder's shard {}/{}", o.shard, o.shards),
                     fmt::format(".lrid-sweep-{}-of-{}.lock", o.shard, o.shards));
  SweepSummary sum;
  Progress progress(fmt::format("sweep {}", out.filename().string()), static_cast<int64_t>(mine.size()), o.progress, 30.0);
  std::map<pid_t, Child> running;
  std::size_t next = 0, done = 0;
  bool forwarded = false;
  auto stopping = [&] { return o.stop_requested && o.stop_requested->load(); };
  while ((next < mine.size() && !stopping()) || !running.empty()) {
    while (next < mine.size() && !stopping() && static_cast<int64_t>(running.size()) < jobs) {
      const auto devices = pool.acquire();
      if (!devices) break;  // capacity bounds jobs, so a free set exists whenever a slot does
      const fs::path dir = out / mine[next].name;
      ensure_directory(dir);
      const bool was_finished = status_name(dir) == "finished";
      running[start_run(plan, mine[next], dir, lrid_binary, *devices)] = Child{next, was_finished, *devices};
      ++next;
    }
    if (stopping() && !forwarded) {  // the runs checkpoint at their next step boundary and exit
      for (const auto& [p, c] : running) kill(p, SIGTERM);
      forwarded = true;
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);  // polled, so that a SIGTERM is seen at once
    if (pid == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    if (pid < 0 || !running.count(pid)) continue;
    const Child child = running.at(pid);
    running.erase(pid);
    pool.release(child.devices);
    collect(sum, mine[child.run], out / mine[child.run].name, child, status);
    progress.update(static_cast<int64_t>(++done),
                    fmt::format("{} finished, {} failed", sum.finished + sum.skipped, sum.failed + sum.diverged));
  }
  sum.not_started = static_cast<int64_t>(mine.size() - next);
  sum.wall_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  progress.finish(fmt::format("{} finished, {} skipped, {} failed, {} diverged", sum.finished, sum.skipped, sum.failed,
                              sum.diverged));
  return sum;
}

}  // namespace lrid

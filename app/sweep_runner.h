// Running a sweep: each run is an `lrid train` child process (isolated: a run
// that fails or diverges is marked and the sweep goes on), one intra-op thread
// each, --jobs at a time. Resumable: a finished run only has its configuration
// checked (and counts as skipped), an interrupted one resumes from its checkpoint.
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "app/sweep_plan.h"

namespace lrid {

struct SweepOptions {
  int64_t jobs = 1;  // concurrent runs; each run uses one thread
  int64_t shard = 0, shards = 1;
  bool progress = true;
  std::vector<std::string> devices;  // CUDA devices to share out (none: the runs see what the sweep sees)
  int64_t gpus_per_run = 1;          // > 1: each run trains data-parallel, one rank per device
  // Raised by SIGTERM: start no more runs, pass the signal to the running ones (which checkpoint).
  const std::atomic<bool>* stop_requested = nullptr;
};

struct SweepSummary {
  int64_t finished = 0, skipped = 0, failed = 0, diverged = 0;
  int64_t interrupted = 0;  // stopped by SIGTERM (they resume when the sweep runs again)
  int64_t not_started = 0;  // left when a SIGTERM stopped the sweep
  double wall_time_s = 0;
  std::vector<std::string> problems;  // "run: reason"
};

// Runs the shard's runs into out/<run name>/, each logging to lrid.log there.
// Every child trains as one process (WORLD_SIZE=1), whatever launcher started
// the sweep, unless gpus_per_run > 1 makes it a `--nproc` run of its own.
SweepSummary run_sweep(const SweepPlan& plan, const std::filesystem::path& out, const SweepOptions& options,
                       const std::string& lrid_binary);

}  // namespace lrid

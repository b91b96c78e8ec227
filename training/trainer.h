// One training run: config -> data, model, rule/optimizer, schedule -> steps,
// with evaluation on the test split, metrics.csv, checkpoints, resume, and a
// status marker written last.
#pragma once
#include <atomic>
#include <filesystem>
#include <optional>
#include <string>

#include "training/config.h"
#include "training/distributed.h"

namespace lrid {

struct TrainOptions {
  bool progress = true;   // progress bar / log lines on stderr
  bool resume = true;     // continue from the newest checkpoint in the run directory
  int64_t stop_at_step = -1;  // tests: return "interrupted" before this step, as if killed
  // Raised (by a SIGTERM handler): finish the current step, checkpoint, return "interrupted".
  const std::atomic<bool>* stop_requested = nullptr;
  // Data parallel: the bound on the rendezvous and on every collective
  // (rank 0 evaluates and records while the others wait in the next step's).
  double collective_timeout_s = 1800;
  std::optional<RankEnvironment> ranks;  // tests; default: the launcher's environment
};

struct TrainResult {
  std::string status;          // finished | diverged | already-finished | interrupted (stop_at_step, stop_requested)
  std::string reason;          // for diverged runs
  int64_t steps = 0;
  double test_accuracy = 0, test_loss = 0;
  double wall_time_s = 0;
  double train_images_per_s = 0;  // training throughput, excluding evaluation
  std::string device;
  int rank = 0;  // data parallel: rank 0 alone wrote the run directory
};

// Runs (or resumes) the configured training in `run_dir`.
TrainResult train(const Config& config, const std::filesystem::path& run_dir,
                  const TrainOptions& options = {});

}  // namespace lrid

// One training run: config -> data, model, rule/optimizer, schedule -> steps,
// with evaluation on the test split, metrics.csv, checkpoints, resume, and a
// status marker written last.
#pragma once
#include <filesystem>
#include <string>

#include "training/config.h"

namespace lrid {

struct TrainOptions {
  bool progress = true;   // progress bar / log lines on stderr
  bool resume = true;     // continue from the newest checkpoint in the run directory
  int64_t stop_at_step = -1;  // tests: return "interrupted" before this step, as if killed
};

struct TrainResult {
  std::string status;          // finished | diverged | already-finished | interrupted
  std::string reason;          // for diverged runs
  int64_t steps = 0;
  double test_accuracy = 0, test_loss = 0;
  double wall_time_s = 0;
  double train_images_per_s = 0;  // training throughput, excluding evaluation
  std::string device;
};

// Runs (or resumes) the configured training in `run_dir`.
TrainResult train(const Config& config, const std::filesystem::path& run_dir,
                  const TrainOptions& options = {});

}  // namespace lrid

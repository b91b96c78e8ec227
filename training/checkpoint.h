// Checkpoints: model parameters and buffers, optimizer state and the trainer's
// position, saved device-independently (CPU tensors) and atomically.
#pragma once
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/errors.h"

namespace lrid {

struct TrainState {
  int64_t step = 0;         // optimizer updates done
  double wall_time_s = 0;   // training wall time so far
  double train_time_s = 0;  // time inside training steps (excludes evaluation)
  double record_time_s = 0; // time spent recording observables
  // The metrics window since the last metrics.csv training row (train_metrics.h's
  // TrainWindow sums), so that a run resumed between two rows logs the same rows.
  double window_loss = 0, window_align = 0;
  int64_t window_correct = 0, window_images = 0, window_batches = 0;
};

// Named optimizers ("optimizer" for W, "feedback_optimizer" for B); null entries are skipped.
using NamedOptimizers = std::vector<std::pair<std::string, torch::optim::Optimizer*>>;

void save_checkpoint(const std::string& path, torch::nn::Module& model, const NamedOptimizers& optimizers,
                     const TrainState& state);
// A checkpoint file that is not a whole archive (cut short, overwritten): the
// trainer sets it aside and resumes from the one before.
class CorruptCheckpointError : public IoError {
 public:
  using IoError::IoError;
};

// Loads into existing modules (their parameters keep their device). Throws
// CorruptCheckpointError naming the file when it cannot be parsed, IoError when
// it is missing or does not match the model.
TrainState load_checkpoint(const std::string& path, torch::nn::Module& model,
                           const NamedOptimizers& optimizers = {});

// Checkpoint files run_dir/checkpoints/step_<N>.pt, sorted by N.
std::vector<std::pair<int64_t, std::filesystem::path>> list_checkpoints(const std::filesystem::path& run_dir);

}  // namespace lrid

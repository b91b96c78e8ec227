// What the training session measures of the task itself: the running sums
// of the training batches between two metrics.csv rows (kept on the device,
// so a step needs no host synchronisation) and the test-split evaluation.
#pragma once
#include <torch/types.h>

#include <cstdint>

#include "images/data_loader.h"
#include "models/model.h"
#include "training/compute_settings.h"
#include "training/task.h"

namespace lrid {

struct Evaluation {
  double loss = 0, accuracy = 0;
};

// Mean loss and accuracy over the test split, in inference mode, in the
// training precision and layout.
Evaluation evaluate(ModelImpl& model, Task& task, const BatchLoader& loader, torch::Device device,
                    const ComputeSettings& compute);

// Sums over the steps since the last metrics row, kept on the device so that a
// step needs no host synchronisation. loss and align hold per-batch means.
struct TrainWindow {
  torch::Tensor loss, correct, align;
  int64_t images = 0, batches = 0;

  explicit TrainWindow(torch::Device device)
      : loss(torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device))),
        correct(torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(device))),
        align(torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device))) {}
  void add(const TaskOutput& out, const torch::Tensor& alignment) {
    if (alignment.defined()) align += alignment.detach().to(torch::kFloat64);
    loss += out.loss.detach().to(torch::kFloat64);
    correct += out.correct;
    images += out.count;
    ++batches;
  }
  double mean_loss() const { return loss.item<double>() / static_cast<double>(std::max<int64_t>(batches, 1)); }
  double mean_align() const { return align.item<double>() / static_cast<double>(std::max<int64_t>(batches, 1)); }
  double accuracy() const { return static_cast<double>(correct.item<int64_t>()) / std::max<int64_t>(images, 1); }
  void reset() {
    loss.zero_();
    correct.zero_();
    align.zero_();
    images = batches = 0;
  }
};

}  // namespace lrid

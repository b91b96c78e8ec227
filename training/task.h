// Training tasks: what loss a batch gives.
//   supervised  softmax cross-entropy on the labels;
//   simclr      SimCLR's self-supervised contrastive task (learning-rules.md §10):
//               two augmented views per image (images/contrastive_views.h), the
//               SimCLR network (models/contrastive.cpp) and the NT-Xent loss.
#pragma once
#include <torch/types.h>

#include <functional>
#include <memory>

#include "images/contrastive_views.h"
#include "images/data_loader.h"
#include "core/options_binding.h"
#include "core/registry.h"

namespace lrid {

class ModelImpl;

struct TaskOutput {
  torch::Tensor loss;     // scalar, differentiable
  torch::Tensor correct;  // int64 scalar on the batch's device: correct predictions (no host sync)
  int64_t count = 0;      // predictions in the batch (SimCLR: 2n, one per view)
};

class Task {
 public:
  virtual ~Task() = default;
  virtual TaskOutput loss(ModelImpl& model, const Batch& batch) = 0;
  // The forward pass the observables are measured on (science.md §3.5): the
  // model's inference path on un-augmented probe images (SimCLR: one view,
  // through the backbone and the projection head).
  virtual torch::Tensor probe_forward(ModelImpl& model, const torch::Tensor& images);
  // > 0: the task trains the SimCLR network with this projection size (ModelOptions::projection_dim).
  virtual int64_t projection_dim() const { return 0; }
  // The views batches must hold (SimCLR); disabled for single images.
  virtual ViewOptions views() const { return {}; }
};

// A configured task (the `task` section).
struct TaskOptions {
  std::string type = "supervised";  // a name of task_registry()
  double temperature = 0.1;         // NT-Xent temperature (simclr)
  int64_t projection_dim = 0;       // > 0: the SimCLR network with this projection size
  double weight_decay = -1;         // coupled L2 the task imposes on every model; < 0: the architecture's own
  ViewOptions views;                // two augmented views per image (simclr)
};

struct TaskSpec {
  OptionsBinding<TaskOptions> options;  // the type's parameters and defaults
  std::function<std::unique_ptr<Task>(const TaskOptions& options)> make;
};
const Registry<TaskSpec>& task_registry();
TaskOptions task_options(const std::string& type, const Params& params);
std::unique_ptr<Task> make_task(const TaskOptions& options);

// NT-Xent (learning-rules.md §10) on projections z [2n, P], view 1's n rows
// first: h = z / |z| per row, h1, h2 the halves; logits_a = [h1 h2ᵀ | h1 h1ᵀ - 1e9 I] / τ
// and logits_b = [h2 h1ᵀ | h2 h2ᵀ - 1e9 I] / τ (the mask is applied after the
// division, as in SimCLR); loss = mean_i CE(logits_a[i], i) + mean_i CE(logits_b[i], i),
// a sum of two means. `correct`: rows whose largest logit is the positive (of 2n).
struct NtXent {
  torch::Tensor loss, correct;
};
NtXent nt_xent(const torch::Tensor& z, double temperature);

}  // namespace lrid

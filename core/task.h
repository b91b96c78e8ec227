// Training tasks: what loss a batch gives. `supervised`: softmax cross-entropy
// on the labels. (The SimCLR task registers here too.)
#pragma once
#include <torch/types.h>

#include <functional>
#include <memory>

#include "core/data_loader.h"
#include "core/registry.h"

namespace lrid {

class ModelImpl;

struct TaskOutput {
  torch::Tensor loss;     // scalar, differentiable
  torch::Tensor correct;  // int64 scalar on the batch's device: correct predictions (no host sync)
  int64_t count = 0;      // examples in the batch
};

class Task {
 public:
  virtual ~Task() = default;
  virtual TaskOutput loss(ModelImpl& model, const Batch& batch) = 0;
  // The forward pass the observables are measured on (science.md §3.5): the
  // model's inference path on un-augmented probe images. Supervised: the logits.
  virtual torch::Tensor probe_forward(ModelImpl& model, const torch::Tensor& images);
};

using TaskFactory = std::function<std::unique_ptr<Task>(const Params& params)>;
const Registry<TaskFactory>& task_registry();
std::unique_ptr<Task> make_task(const std::string& type, const Params& params);
// The coupled L2 rate a task imposes on every model (SimCLR: 1e-6), or -1 for the architecture's own.
double task_weight_decay(const std::string& type, const Params& params);

}  // namespace lrid

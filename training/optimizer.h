// Optimizers for W, biases and batch norm: SGD with momentum (optionally
// Nesterov) and Adam, both with coupled L2 weight decay (learning-rules.md §8):
// g' = g + lambda*theta, exactly PyTorch's `weight_decay`, never AdamW.
// Parameter groups (§8.2): forward kernels and biases of recordable layers are
// decayed; batch-norm gamma/beta are not.
#pragma once
#include <torch/optim/optimizer.h>

#include <functional>
#include <memory>
#include <vector>

#include "core/options_binding.h"
#include "core/registry.h"

namespace lrid {

class ModelImpl;

struct ParamGroups {
  std::vector<torch::Tensor> decayed;      // W and b of every recordable layer
  std::vector<torch::Tensor> not_decayed;  // everything else (batch norm)
  std::vector<torch::Tensor> feedback;     // trainable feedback kernels B: never decayed (§4.2)
};
ParamGroups model_param_groups(ModelImpl& model);

// A configured optimizer (the `optimizer` section; B's own under the alignment rules).
struct OptimizerOptions {
  std::string type = "sgd";  // a name of optimizer_registry()
  double lr = 0.1;
  double momentum = 0.9;     // sgd
  bool nesterov = false;     // sgd
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adam
  double weight_decay = 0;   // coupled L2 of `decayed` parameters
  int64_t reference_batch_size = 0;  // > 0: lr scales with batch_size / reference_batch_size
};

struct OptimizerSpec {
  OptionsBinding<OptimizerOptions> options;  // the type's parameters and defaults
  std::function<std::unique_ptr<torch::optim::Optimizer>(const ParamGroups& groups, const OptimizerOptions& options,
                                                         double lr)>
      make;
};
const Registry<OptimizerSpec>& optimizer_registry();

// The section's validated parameters (weight_decay already resolved) as OptimizerOptions.
inline OptimizerOptions optimizer_options(const std::string& type, const Params& params) {
  return parse_typed<OptimizerOptions>(optimizer_registry(), type, params);
}

// Learning rate at the start of the schedule: `lr`, scaled by
// batch_size / reference_batch_size when the latter is > 0.
double base_learning_rate(const OptimizerOptions& options, int64_t batch_size);

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerOptions& options, const ParamGroups& groups,
                                                        double lr);

// Sets the learning rate of every parameter group.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

// Moves optimizer state tensors to `device` (after loading a CPU checkpoint).
void optimizer_state_to(torch::optim::Optimizer& optimizer, const torch::Device& device);

}  // namespace lrid

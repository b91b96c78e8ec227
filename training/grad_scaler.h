// Dynamic loss scaling for fp16 training (torch.amp.GradScaler's algorithm;
// LibTorch has no C++ GradScaler, so this drives ATen's own two AMP kernels):
// the objective is multiplied by S before the backward pass; before the
// optimizers step, every gradient is divided by S and checked, a step with a
// non-finite gradient is skipped and S is multiplied by backoff_factor, and
// after growth_interval finite steps in a row S is multiplied by growth_factor.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace lrid {

struct GradScalerOptions {
  double init_scale = 65536.0;  // 2^16, PyTorch's default
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
};

class GradScaler {
 public:
  GradScaler(const torch::Device& device, GradScalerOptions options = {});
  // objective * S (the tensor to call backward on).
  torch::Tensor scale(const torch::Tensor& objective) const;
  // Divides the gradients of `params` by S in place (parameters without a
  // gradient are skipped) and records whether any is non-finite.
  void unscale(const std::vector<torch::Tensor>& params);
  // Whether the gradients unscaled since the last update were all finite (one host sync).
  bool finite() const;
  // Adjusts S from the recorded check and clears it; call once per step, after the optimizers.
  void update();
  double scale_value() const;

 private:
  GradScalerOptions options_;
  torch::Tensor scale_, growth_tracker_, found_inf_;  // [1] float, [1] int32, [1] float
};

}  // namespace lrid

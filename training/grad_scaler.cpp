// Dynamic loss scaling. See grad_scaler.h.
#include "training/grad_scaler.h"

#include <torch/torch.h>

#include "core/errors.h"

namespace lrid {

GradScaler::GradScaler(const torch::Device& device, GradScalerOptions options) : options_(options) {
  if (!(options_.init_scale > 0) || !(options_.growth_factor > 1) || !(options_.backoff_factor > 0 &&
                                                                       options_.backoff_factor < 1) ||
      options_.growth_interval < 1)
    throw ConfigError("grad scaler: need init_scale > 0, growth_factor > 1, 0 < backoff_factor < 1, "
                      "growth_interval >= 1");
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat).device(device);
  scale_ = torch::full({1}, options_.init_scale, f32);
  growth_tracker_ = torch::zeros({1}, f32.dtype(torch::kInt));
  found_inf_ = torch::zeros({1}, f32);
}

torch::Tensor GradScaler::scale(const torch::Tensor& objective) const {
  return objective * scale_.to(objective.scalar_type()).squeeze();
}

void GradScaler::unscale(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return;
  // The ATen kernel wants the inverse in float32 and sets found_inf to 1 on any inf/NaN.
  const torch::Tensor inv_scale = scale_.reciprocal();
  at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf_, inv_scale);
}

bool GradScaler::finite() const { return found_inf_.item<float>() == 0.0f; }

void GradScaler::update() {
  at::_amp_update_scale_(scale_, growth_tracker_, found_inf_, options_.growth_factor, options_.backoff_factor,
                         options_.growth_interval);
  found_inf_.zero_();
}

double GradScaler::scale_value() const { return scale_.item<double>(); }

}  // namespace lrid

// Fused SGD and Adam steps. See fused_optimizers.h.
#include "training/fused_optimizers.h"

#include <ATen/ops/_fused_adam.h>
#include <ATen/ops/_fused_sgd.h>
#include <torch/torch.h>

#include <vector>

namespace lrid {
namespace {

// The fused kernels walk parameter, gradient and state as flat arrays, so all
// three must share one dense layout. Gradients follow their parameter's
// layout (autograd's layout contract) and state is made like the parameter;
// a tensor from elsewhere (a checkpoint's NCHW buffer for a channels-last
// kernel) is copied into the parameter's layout, once.
torch::Tensor like_param(const torch::Tensor& t, const torch::Tensor& p) {
  if (t.strides() == p.strides()) return t;
  return torch::empty_like(p).copy_(t);
}

// The kernels walk raw data pointers, but first call grad.contiguous() (its
// result unused, torch 2.11 FusedSGDKernel.cpp/FusedAdamKernel.cpp): a full
// copy of every channels-last gradient, each step. The same memory seen as
// [O, kh, kw, I] is NCHW-contiguous, so that call becomes a no-op; the
// kernels are element-wise, and parameter, gradient and state share strides.
torch::Tensor dense_view(const torch::Tensor& t) {
  if (t.dim() == 4 && !t.is_contiguous() && t.is_contiguous(torch::MemoryFormat::ChannelsLast))
    return t.permute({0, 2, 3, 1});
  return t;
}

// The closure, run with autograd on, as LibTorch's optimizers do.
torch::Tensor run_closure(const torch::optim::Optimizer::LossClosure& closure) {
  if (closure == nullptr) return {};
  at::AutoGradMode enable_grad(true);
  return closure();
}

}  // namespace

torch::Tensor FusedSGD::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss = run_closure(closure);
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const torch::optim::SGDOptions&>(group.options());
    // Parameters whose momentum buffer exists, and those taking their first step
    // (the kernel sets the buffer to the decayed gradient then, as torch.optim does).
    std::vector<torch::Tensor> params[2], grads[2], bufs[2];
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      torch::Tensor g = like_param(p.grad(), p);
      if (!g.is_same(p.grad())) p.mutable_grad() = g;
      bool first = false;
      torch::Tensor buf;
      if (o.momentum() != 0) {
        auto it = state_.find(p.unsafeGetTensorImpl());
        if (it == state_.end()) {
          auto state = std::make_unique<torch::optim::SGDParamState>();
          state->momentum_buffer(torch::empty_like(p));
          buf = state->momentum_buffer();
          state_[p.unsafeGetTensorImpl()] = std::move(state);
          first = true;
        } else {
          auto& state = static_cast<torch::optim::SGDParamState&>(*it->second);
          state.momentum_buffer(like_param(state.momentum_buffer(), p));
          buf = state.momentum_buffer();
        }
      }
      params[first].push_back(dense_view(p));
      grads[first].push_back(dense_view(g));
      if (buf.defined()) bufs[first].push_back(dense_view(buf));
    }
    for (int first = 0; first < 2; ++first)
      if (!params[first].empty())
        at::_fused_sgd_(params[first], grads[first], bufs[first], o.weight_decay(), o.momentum(), o.lr(),
                        o.dampening(), o.nesterov(), /*maximize=*/false, /*is_first_step=*/first == 1);
  }
  return loss;
}

torch::Tensor FusedAdam::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss = run_closure(closure);
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const torch::optim::AdamOptions&>(group.options());
    std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs, max_sqs, steps;
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      torch::Tensor g = like_param(p.grad(), p);
      if (!g.is_same(p.grad())) p.mutable_grad() = g;
      auto it = state_.find(p.unsafeGetTensorImpl());
      if (it == state_.end()) {
        auto state = std::make_unique<torch::optim::AdamParamState>();
        state->step(0);
        state->exp_avg(torch::zeros_like(p));
        state->exp_avg_sq(torch::zeros_like(p));
        if (o.amsgrad()) state->max_exp_avg_sq(torch::zeros_like(p));
        it = state_.emplace(p.unsafeGetTensorImpl(), std::move(state)).first;
      }
      auto& state = static_cast<torch::optim::AdamParamState&>(*it->second);
      state.exp_avg(like_param(state.exp_avg(), p));
      state.exp_avg_sq(like_param(state.exp_avg_sq(), p));
      if (o.amsgrad()) state.max_exp_avg_sq(like_param(state.max_exp_avg_sq(), p));
      // The kernel reads the step count (already advanced) from a float tensor
      // for its bias corrections; the state keeps LibTorch's integer.
      state.step(state.step() + 1);
      params.push_back(dense_view(p));
      grads.push_back(dense_view(g));
      exp_avgs.push_back(dense_view(state.exp_avg()));
      exp_avg_sqs.push_back(dense_view(state.exp_avg_sq()));
      if (o.amsgrad()) max_sqs.push_back(dense_view(state.max_exp_avg_sq()));
      steps.push_back(torch::full({}, static_cast<double>(state.step()), torch::TensorOptions(torch::kFloat).device(p.device())));
    }
    if (params.empty()) continue;
    const auto [beta1, beta2] = o.betas();
    at::_fused_adam_(params, grads, exp_avgs, exp_avg_sqs, max_sqs, steps, o.lr(), beta1, beta2, o.weight_decay(),
                     o.eps(), o.amsgrad(), /*maximize=*/false);
  }
  return loss;
}

}  // namespace lrid

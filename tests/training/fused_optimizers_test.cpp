// Fused SGD and Adam against LibTorch's own torch::optim::SGD and Adam (which
// the golden tests tie to torch.optim): the same parameters after several
// steps, in double and in fp32, for NCHW and channels-last kernels, with and
// without Nesterov, weight decay and AMSGrad; and the state they leave.
#include "training/fused_optimizers.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/record_function.h>

#include <functional>
#include <memory>

#include "test_tensors.h"

namespace lrid {
namespace {

using test::rel_err;

using MakeOptimizer = std::function<std::unique_ptr<torch::optim::Optimizer>(std::vector<torch::Tensor>)>;

// Parameters after `steps` steps of each optimizer on the same gradients:
// a [6, 3, 3, 3] kernel (channels-last when asked), a [6] bias and a [4, 5] matrix.
std::vector<torch::Tensor> train(const MakeOptimizer& make, torch::ScalarType dtype, bool channels_last, int steps) {
  torch::manual_seed(3);
  const auto o = torch::TensorOptions(dtype);
  torch::Tensor k = torch::randn({6, 3, 3, 3}, o);
  if (channels_last) k = k.contiguous(torch::MemoryFormat::ChannelsLast);
  std::vector<torch::Tensor> params = {k.requires_grad_(true), torch::randn({6}, o).requires_grad_(true),
                                       torch::randn({4, 5}, o).requires_grad_(true)};
  auto opt = make(params);
  for (int s = 0; s < steps; ++s) {
    opt->zero_grad();
    torch::Tensor loss = torch::zeros({}, o);
    for (auto& p : params) loss = loss + (p * torch::randn_like(p)).sum() + p.pow(2).sum() * 0.1;
    loss.backward();
    opt->step();
  }
  std::vector<torch::Tensor> out;
  for (auto& p : params) out.push_back(p.detach().clone());
  return out;
}

void expect_same(const MakeOptimizer& fused, const MakeOptimizer& reference, const std::string& what) {
  for (bool cl : {false, true}) {
    for (auto dtype : {torch::kDouble, torch::kFloat}) {
      const auto a = train(fused, dtype, cl, 5), b = train(reference, dtype, cl, 5);
      const double tol = dtype == torch::kDouble ? 1e-13 : 1e-6;
      for (size_t i = 0; i < a.size(); ++i)
        EXPECT_LE(rel_err(a[i], b[i]), tol) << what << " param " << i << (cl ? " channels-last" : "");
      EXPECT_EQ(a[0].strides(), b[0].strides()) << what;  // the step keeps the kernel's layout
    }
  }
}

TEST(FusedSgd, MatchesLibTorchSgd) {
  for (bool nesterov : {false, true})
    for (double momentum : {0.0, 0.9})
      for (double wd : {0.0, 1e-2}) {
        if (nesterov && momentum == 0) continue;
        auto opts = [=] { return torch::optim::SGDOptions(0.05).momentum(momentum).nesterov(nesterov).weight_decay(wd); };
        expect_same([&](std::vector<torch::Tensor> p) { return std::make_unique<FusedSGD>(p, opts()); },
                    [&](std::vector<torch::Tensor> p) { return std::make_unique<torch::optim::SGD>(p, opts()); },
                    "sgd momentum " + std::to_string(momentum) + " nesterov " + std::to_string(nesterov));
      }
}

TEST(FusedAdam, MatchesLibTorchAdam) {
  for (bool amsgrad : {false, true})
    for (double wd : {0.0, 1e-2}) {
      auto opts = [=] { return torch::optim::AdamOptions(1e-2).betas({0.8, 0.95}).eps(1e-6).weight_decay(wd).amsgrad(amsgrad); };
      expect_same([&](std::vector<torch::Tensor> p) { return std::make_unique<FusedAdam>(p, opts()); },
                  [&](std::vector<torch::Tensor> p) { return std::make_unique<torch::optim::Adam>(p, opts()); },
                  "adam amsgrad " + std::to_string(amsgrad));
    }
}

TEST(FusedAdam, LeavesLibTorchsStateSoCheckpointsCarryOver) {
  torch::Tensor p = torch::randn({3, 4}, torch::kDouble).requires_grad_(true);
  FusedAdam opt({p}, torch::optim::AdamOptions(1e-2));
  for (int s = 0; s < 3; ++s) {
    opt.zero_grad();
    p.pow(2).sum().backward();
    opt.step();
  }
  const auto& state = static_cast<torch::optim::AdamParamState&>(*opt.state().at(p.unsafeGetTensorImpl()));
  EXPECT_EQ(state.step(), 3);
  EXPECT_EQ(state.exp_avg().sizes(), p.sizes());
  // A LibTorch Adam given that state continues exactly as the fused one does.
  torch::Tensor q = p.detach().clone().requires_grad_(true);
  torch::optim::Adam ref({q}, torch::optim::AdamOptions(1e-2));
  auto copy = std::make_unique<torch::optim::AdamParamState>();  // a deep copy: the buffers are updated in place
  copy->step(state.step());
  copy->exp_avg(state.exp_avg().clone());
  copy->exp_avg_sq(state.exp_avg_sq().clone());
  ref.state()[q.unsafeGetTensorImpl()] = std::move(copy);
  for (auto* o : std::vector<torch::optim::Optimizer*>{&opt, &ref}) o->zero_grad();
  p.pow(2).sum().backward();
  q.pow(2).sum().backward();
  opt.step();
  ref.step();
  EXPECT_LE(rel_err(p.detach(), q.detach()), 1e-13);
}

TEST(FusedSgd, AdoptsABufferInAnotherLayout) {
  // A checkpoint restores an NCHW momentum buffer for a channels-last kernel.
  torch::Tensor k = torch::randn({4, 2, 3, 3}).contiguous(torch::MemoryFormat::ChannelsLast).requires_grad_(true);
  torch::Tensor r = k.detach().clone().contiguous().requires_grad_(true);
  FusedSGD opt({k}, torch::optim::SGDOptions(0.1).momentum(0.9));
  torch::optim::SGD ref({r}, torch::optim::SGDOptions(0.1).momentum(0.9));
  const torch::Tensor buf = torch::randn({4, 2, 3, 3});
  for (auto& [opt_ptr, param] : std::vector<std::pair<torch::optim::Optimizer*, torch::Tensor>>{{&opt, k}, {&ref, r}}) {
    auto st = std::make_unique<torch::optim::SGDParamState>();
    st->momentum_buffer(buf.clone());
    opt_ptr->state()[param.unsafeGetTensorImpl()] = std::move(st);
    param.pow(2).sum().backward();
    opt_ptr->step();
  }
  EXPECT_LE(rel_err(k.detach(), r.detach()), 1e-6);
  EXPECT_TRUE(k.is_contiguous(torch::MemoryFormat::ChannelsLast));
}

// Copies (aten::copy_) made while a step runs.
thread_local int copies = 0;
std::unique_ptr<at::ObserverContext> count_copy(const at::RecordFunction& fn) {
  if (std::string(fn.name()) == "aten::copy_") ++copies;
  return nullptr;
}

TEST(FusedOptimizers, ChannelsLastStepCopiesNothing) {
  // ATen's kernels call grad.contiguous(): for a channels-last gradient that
  // would be a full copy per kernel per step, unless the step hands them
  // NCHW-contiguous views of the same memory.
  for (bool adam : {false, true}) {
    torch::Tensor k = torch::randn({8, 4, 3, 3}).contiguous(torch::MemoryFormat::ChannelsLast).requires_grad_(true);
    std::unique_ptr<torch::optim::Optimizer> opt;
    if (adam) opt = std::make_unique<FusedAdam>(std::vector<torch::Tensor>{k}, torch::optim::AdamOptions(1e-3));
    else opt = std::make_unique<FusedSGD>(std::vector<torch::Tensor>{k}, torch::optim::SGDOptions(0.1).momentum(0.9));
    for (int step = 0; step < 2; ++step) {
      opt->zero_grad();
      (k * torch::randn_like(k)).sum().backward();
      ASSERT_TRUE(k.grad().is_contiguous(torch::MemoryFormat::ChannelsLast));
      copies = 0;
      auto handle = at::addThreadLocalCallback(at::RecordFunctionCallback(&count_copy).scopes({at::RecordScope::FUNCTION}));
      opt->step();
      at::removeCallback(handle);
      EXPECT_EQ(copies, 0) << (adam ? "adam" : "sgd") << " step " << step;
    }
    EXPECT_TRUE(k.is_contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

}  // namespace
}  // namespace lrid

// Dynamic loss scaling against torch.amp.GradScaler's rules, on CPU tensors
// (the same ATen kernels run on CUDA): scale, unscale, skip on inf/NaN with
// backoff, growth after growth_interval finite steps.
#include "training/grad_scaler.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

torch::Tensor param_with_grad(std::vector<float> grad) {
  torch::Tensor p = torch::zeros({static_cast<int64_t>(grad.size())}).requires_grad_(true);
  p.mutable_grad() = torch::tensor(grad);
  return p;
}

TEST(GradScaler, ScalesTheObjectiveAndUnscalesTheGradients) {
  GradScaler s(torch::kCPU, GradScalerOptions{8.0, 2.0, 0.5, 3});
  EXPECT_DOUBLE_EQ(s.scale(torch::tensor(1.5)).item<double>(), 12.0);
  torch::Tensor p = param_with_grad({8.0f, -4.0f}), no_grad = torch::zeros({2}).requires_grad_(true);
  s.unscale({p, no_grad});
  EXPECT_TRUE(torch::equal(p.grad(), torch::tensor({1.0f, -0.5f})));
  EXPECT_TRUE(s.finite());
}

TEST(GradScaler, NonFiniteGradientSkipsAndBacksOffThenGrowsAfterTheInterval) {
  GradScaler s(torch::kCPU, GradScalerOptions{8.0, 2.0, 0.5, 3});
  torch::Tensor bad = param_with_grad({1.0f, std::numeric_limits<float>::infinity()});
  s.unscale({bad});
  EXPECT_FALSE(s.finite());
  s.update();
  EXPECT_DOUBLE_EQ(s.scale_value(), 4.0);  // backoff
  for (int step = 0; step < 3; ++step) {
    EXPECT_DOUBLE_EQ(s.scale_value(), 4.0) << step;
    torch::Tensor ok = param_with_grad({1.0f});
    s.unscale({ok});
    EXPECT_TRUE(s.finite());
    s.update();
  }
  EXPECT_DOUBLE_EQ(s.scale_value(), 8.0);  // growth after 3 finite steps
  torch::Tensor nan = param_with_grad({std::numeric_limits<float>::quiet_NaN()});
  s.unscale({nan});
  EXPECT_FALSE(s.finite());
}

TEST(GradScaler, BadOptionsAreAConfigError) {
  test::expect_error<ConfigError>([] { GradScaler(torch::kCPU, GradScalerOptions{0.0, 2.0, 0.5, 1}); },
                                  "init_scale");
  test::expect_error<ConfigError>([] { GradScaler(torch::kCPU, GradScalerOptions{1.0, 2.0, 1.5, 1}); },
                                  "backoff_factor");
}

}  // namespace
}  // namespace lrid

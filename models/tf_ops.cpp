// TF-SAME pooling and TF-parameterised LRN on top of LibTorch functional ops.
#include "models/tf_ops.h"

#include <torch/torch.h>

#include <limits>

#include "models/layers.h"

namespace lrid {

namespace F = torch::nn::functional;

namespace {

// (left, right, top, bottom) TF-SAME padding of a [N, C, H, W] tensor.
std::vector<int64_t> same_pad(const torch::Tensor& x, int64_t kernel, int64_t stride) {
  TORCH_CHECK(x.dim() == 4, "TF-SAME pooling expects [N, C, H, W], got ", x.dim(), " dims");
  const auto ph = tf_same_padding(x.size(2), kernel, stride);
  const auto pw = tf_same_padding(x.size(3), kernel, stride);
  return {pw[0], pw[1], ph[0], ph[1]};
}

}  // namespace

torch::Tensor tf_same_max_pool2d(const torch::Tensor& x, int64_t kernel, int64_t stride) {
  const auto pad = same_pad(x, kernel, stride);
  const auto xp = F::pad(x, F::PadFuncOptions(pad).value(-std::numeric_limits<double>::infinity()));
  if (torch::GradMode::is_enabled() && xp.requires_grad())
    return torch::max_pool2d(xp, {kernel, kernel}, {stride, stride});
  // Without autograd (evaluation, observables' probe) the same maxima as an
  // element-wise maximum over the k*k strided window offsets: several times
  // faster than ATen's NCHW max-pool kernel on CPU, and exact.
  const int64_t ho = (xp.size(2) - kernel) / stride + 1, wo = (xp.size(3) - kernel) / stride + 1;
  torch::Tensor out;
  for (int64_t i = 0; i < kernel; ++i)
    for (int64_t j = 0; j < kernel; ++j) {
      torch::Tensor v = xp.slice(2, i, i + (ho - 1) * stride + 1, stride).slice(3, j, j + (wo - 1) * stride + 1, stride);
      out = out.defined() ? torch::maximum(out, v) : v.contiguous();
    }
  return out;
}

torch::Tensor tf_same_avg_pool2d(const torch::Tensor& x, int64_t kernel, int64_t stride) {
  const auto pad = same_pad(x, kernel, stride);
  // Window means over the zero-padded input, rescaled by the fraction of valid
  // cells of each window (the pooled all-ones mask): sum / n_valid.
  const auto sums =
      torch::avg_pool2d(F::pad(x, F::PadFuncOptions(pad)), {kernel, kernel}, {stride, stride});
  const auto ones = torch::ones({1, 1, x.size(2), x.size(3)}, x.options());
  const auto valid = torch::avg_pool2d(F::pad(ones, F::PadFuncOptions(pad)), {kernel, kernel},
                                       {stride, stride});  // [1, 1, H_out, W_out]
  return sums / valid;
}

torch::Tensor tf_local_response_norm(const torch::Tensor& x, const TfLrnOptions& options) {
  TORCH_CHECK(options.radius >= 0, "LRN radius must be >= 0");
  TORCH_CHECK(x.dim() == 4, "LRN expects [N, C, H, W], got ", x.dim(), " dims");
  // The window sums as 2r+1 shifted channel slices of the channel-padded
  // squares: element-wise ops, so x's layout (NCHW or channels-last) is kept,
  // where LibTorch's local_response_norm goes through a 5-D average pool. In
  // fp32 at least: under bf16, 1 + alpha * sum would round to 1.
  const torch::Tensor xf = x.to(torch::promote_types(x.scalar_type(), torch::kFloat));
  const int64_t c = x.size(1), r = options.radius;
  const torch::Tensor sq = F::pad(xf * xf, F::PadFuncOptions({0, 0, 0, 0, r, r}));
  torch::Tensor sum = sq.narrow(1, 0, c);
  for (int64_t d = 1; d <= 2 * r; ++d) sum = sum + sq.narrow(1, d, c);
  return (xf * (sum * options.alpha + options.bias).pow(-options.beta)).to(x.scalar_type());
}

}  // namespace lrid

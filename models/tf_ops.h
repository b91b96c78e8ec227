// TensorFlow-compatible pooling and local response normalisation
// (learning-rules.md §9.6): TF-SAME pools with asymmetric padding, and the
// TF LRN parameterisation mapped onto LibTorch's.
#pragma once
#include <torch/types.h>

#include <cstdint>

namespace lrid {

// Max pool k×k, stride s, TF "SAME": pads with -inf (floor before, rest after),
// so padded cells never win. [N, C, H, W] -> [N, C, ceil(H/s), ceil(W/s)].
torch::Tensor tf_same_max_pool2d(const torch::Tensor& x, int64_t kernel, int64_t stride);

// Average pool k×k, stride s, TF "SAME": each output is the mean of the valid
// (unpadded) cells of its window only.
torch::Tensor tf_same_avg_pool2d(const torch::Tensor& x, int64_t kernel, int64_t stride);

// TF LRN: y_c = x_c / (bias + alpha · Σ_{|d - c| <= radius} x_d²)^beta over channels.
struct TfLrnOptions {
  int64_t radius = 5;
  double bias = 1.0;
  double alpha = 1e-4;
  double beta = 0.75;
};

// The TF formula above, computed in fp32 and returned in x's dtype and layout
// ([N, C, H, W] in and out).
torch::Tensor tf_local_response_norm(const torch::Tensor& x, const TfLrnOptions& options);

}  // namespace lrid

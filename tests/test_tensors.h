// Tensor helpers shared by the gradient tests: float64 options (finite
// differences and hand-computed values need double precision) and the
// relative error of two tensors.
#pragma once
#include <torch/torch.h>

namespace lrid::test {

inline const auto kDouble = torch::TensorOptions().dtype(torch::kFloat64);

// |a - b| / |b| (Frobenius norms), with |b| floored so that b = 0 does not divide by zero.
inline double rel_err(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).norm() / b.norm().clamp_min(1e-300)).item<double>();
}

}  // namespace lrid::test

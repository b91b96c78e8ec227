// The three measures of a recorded layer (science.md §3.4–§3.6, §4), each as a
// function from tensors to statistics, and LayerMeter, which accumulates one
// layer's 45 observables over the chunks of a probe set.
//
// Output layouts (float64): weight and act blocks are [3 functions × 7
// statistics] in canonical order (abs, raw, sq; kurtosis … var); the gradavg
// block is [abs, raw, sq] of the per-sample value.
#pragma once
#include <torch/types.h>

#include <string>

#include "observables/conditions.h"
#include "observables/statistics.h"

namespace lrid {

class RecordableLayerImpl;

// weight*_norm: the Frobenius norm of the kernel, or (parity with the original
// code) the mean of the L2 norms of the slices along the kernel's leading
// TensorFlow-layout axis. Under unit subsampling the norm is always the plain
// L2 norm of the kept entries, as in the original.
enum class WeightNormMode { kFrobenius, kSliceMean };
WeightNormMode parse_weight_norm_mode(const std::string& name, const std::string& what);

// Which kernel the activity-change Jacobian goes through: the forward kernel W
// (default; what a paired pre/post recording measures) or, for parity with the
// original on alignment layers, the feedback kernel B (W where a layer has none).
enum class GradavgPath { kForward, kFeedback };
GradavgPath parse_gradavg_path(const std::string& name, const std::string& what);

// A kernel in TensorFlow layout ([k_h, k_w, C_in, C_out] conv, [n_in, n_out]
// dense) from PyTorch layout ([C_out, C_in, k_h, k_w], [n_out, n_in]).
torch::Tensor tf_layout(const torch::Tensor& w);

// The 21 weight observables of a kernel whose leading axis is the slicing axis
// of kSliceMean (see tf_layout). `gen` supplies the noise when the condition has any.
torch::Tensor weight_observables(const torch::Tensor& kernel_tf, WeightNormMode mode, UnitSampler& sampler,
                                 torch::Generator& gen);

// Per-sample act statistics: y [B, ...] -> [B, 21]. Each sample's units are
// y[b] flattened; the kept units are the same for every sample.
torch::Tensor act_sample_observables(const torch::Tensor& y, UnitSampler& sampler, torch::Generator& gen);

// Activity change (science.md §3.6, §4.4). For one sample the layer's Jacobian
// is J = diag(f'(z)) A, with A the matrix of the linear op x -> op(x; K) and
// K = W (forward path) or B (feedback path). Summed over the kept outputs P
// and kept inputs Q, by linearity
//   Σ_{i∈P} Σ_{j∈Q} J_ij = Σ_{i∈P} f'(z_i) · (A 1_Q)_i = <c, op(1_Q; K)>,
// with c = f'(z) masked to P and 1_Q the indicator of the kept inputs. So one
// op application to an input-independent indicator per layer replaces a
// vector-Jacobian product per sample; tests check it against autograd's full
// Jacobian. The pre-synaptic noise adds N(0, σ²) to each kept row sum r_j; its
// sum over the k_in kept inputs is drawn directly as N(0, k_in σ²), the same
// distribution. The value is (Σ + noise) / k_out.

// From row sums r [B, n_in] (r_j = Σ_{i kept} ∂y_i/∂x_j) and k_out: [B] float64.
torch::Tensor gradavg_from_row_sums(const torch::Tensor& r, int64_t k_out, UnitSampler& sampler,
                                    torch::Generator& gen);

// A recordable layer, for its input x (after any explicit padding, as captured;
// only its shape is used) and output y: [B] float64.
torch::Tensor layer_gradavg(RecordableLayerImpl& layer, const torch::Tensor& x, const torch::Tensor& y,
                            GradavgPath path, UnitSampler& sampler, torch::Generator& gen);

// The same from a full per-sample Jacobian J [B, n_out, n_in] (for `lrid stats`).
torch::Tensor jacobian_gradavg(const torch::Tensor& jacobian, UnitSampler& sampler, torch::Generator& gen);

// [B] values -> [B, 3]: abs, raw, sq (the function comes before the sample reduction).
torch::Tensor gradavg_functions(const torch::Tensor& values);

}  // namespace lrid

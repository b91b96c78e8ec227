// Alignment ops (learning-rules.md §3, §6): dense and conv2d whose forward pass
// uses W and whose input gradient uses the feedback kernel B, as custom
// torch::autograd::Functions. W receives its true local gradient; B receives
// none from the task loss, except under Kolen-Pollack (tie_grad), where it
// receives W's gradient. The optional bias ([out]) is added inside the op, as
// torch's conv2d and linear add it (one kernel, in the output's layout), and
// gets its exact gradient, the sum of the output gradient. Shapes (PyTorch layout): dense x [N, in], W and B [out, in];
// conv x [N, C_in, H, W], W and B [C_out, C_in/G, kh, kw].
//
// Precision and layout: under autocast (bf16/fp16 training) the ops compute
// in the autocast dtype, as the convolution and matmul they replace would:
// x, W and B are cast once per pass, the gradients come back in that dtype
// and autograd casts W's and B's to their fp32 masters. The layout is the
// input's: channels-last in, channels-last out, with no conversion in the
// forward or the backward pass.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace lrid {

struct ConvGeometry {
  std::vector<int64_t> stride{1, 1}, padding{0, 0}, dilation{1, 1};
  int64_t groups = 1;
};

// Diagnostics of one layer (§4.3), filled during the backward pass when
// `active`: angles in degrees. Not observables.
struct AlignmentProbe {
  bool active = false;
  double weight_angle = 0;      // angle(W, B)
  double gradient_angle = 0;    // angle(input gradient sent with B, the one backprop would send);
                                // NaN for a first layer, which sends no input gradient
  bool filled = false;
};

// The dtype an alignment op computes in for input x: autocast's lower
// precision dtype on x's device while autocast is on, else x's own dtype.
torch::ScalarType op_compute_dtype(const torch::Tensor& x);
// t in `dtype` (the same tensor when it already is); undefined stays undefined.
torch::Tensor cast_for_op(const torch::Tensor& t, torch::ScalarType dtype);

// angle(A, C) = arccos(<A, C> / (|A| |C|)) in degrees, computed in double.
double angle_degrees(const torch::Tensor& a, const torch::Tensor& c);

torch::Tensor feedback_linear(const torch::Tensor& x, const torch::Tensor& weight,
                              const torch::Tensor& feedback, bool tie_grad,
                              AlignmentProbe* probe = nullptr, const torch::Tensor& bias = {});

torch::Tensor feedback_conv2d(const torch::Tensor& x, const torch::Tensor& weight,
                              const torch::Tensor& feedback, const ConvGeometry& geometry,
                              bool tie_grad, AlignmentProbe* probe = nullptr, const torch::Tensor& bias = {});

// Plain convolution for backprop rules (torch::conv2d's values and
// gradients): where the tap GEMM is the faster weight gradient
// (tap_weight_grad.h: small output maps), the layer goes through the
// feedback op with B = W, whose backward uses it; elsewhere torch::conv2d.
torch::Tensor backprop_conv2d(const torch::Tensor& x, const torch::Tensor& weight, const ConvGeometry& geometry,
                              const torch::Tensor& bias = {});

// The conv input-gradient ("adjoint of x -> conv(x, K)") applied to g, with the
// shape of `input`: the transposed convolution with K, output padding implied.
torch::Tensor conv2d_input_grad(const torch::Tensor& g, const torch::Tensor& input,
                                const torch::Tensor& kernel, const ConvGeometry& geometry);
// The conv weight-gradient WG(u, v): correlation of input u with output-gradient v.
torch::Tensor conv2d_weight_grad(const torch::Tensor& u, const torch::Tensor& v,
                                 const torch::Tensor& kernel, const ConvGeometry& geometry);

}  // namespace lrid

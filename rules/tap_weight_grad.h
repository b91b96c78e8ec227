// The weight gradient of a convolution whose output maps are small, as one
// GEMM over the kernel taps that see the input:
//   WG(u, v)[o, c, i, j] = sum_{n, y, x} v[n, o, y, x] * u[n, c, y*s - p + i*d, x*s - p + j*d]
//   = rows(v)^T cols(u): [C_out, N*Ho*Wo] x [N*Ho*Wo, T*C_in],
// where cols(u) holds, for each of the T taps (i, j) that reach inside the
// input for some output position, the input pixel each output position reads
// (zero where it reads padding), in (tap, channel) order, so that the product
// is the kernel in channels-last (O, kh, kw, I) memory order. Taps that only
// ever read padding get zero and cost nothing: a 3x3 kernel on a 1x1 map is
// one [C_out, N] x [N, C_in] product.
//
// Why by hand: oneDNN's backward-weights kernel runs far from peak on small
// maps. ResNet-18 on 28x28 inputs, batch 128, 2 threads, AMD EPYC (AVX-512
// BF16), channels-last: a 512-channel 3x3 layer on 1x1 maps took 15-23 ms in
// bf16 and 11 ms in fp32 against 0.4-0.6 ms and 1.1-1.3 ms here, and the
// network's weight gradients summed to 154 ms (bf16) against 39 ms with this
// path where it wins; on larger maps oneDNN wins (KNet: 2.6x faster in bf16),
// so `tap_weight_grad_applies` keeps those on oneDNN. Measured by
// bench/conv_weight_grad.py, which prints both per layer.
// tests/rules/tap_weight_grad_test.cpp checks it against
// at::convolution_backward for strides, paddings, dilations, both layouts and
// dtypes, including taps that only read padding.
#pragma once
#include <torch/types.h>

#include "rules/feedback_ops.h"

namespace lrid {

// Output map size of a convolution along one dimension.
int64_t conv_output_size(int64_t input, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation);

// Whether the tap GEMM is the faster weight gradient for a convolution of an
// [N, C_in, H, W] input with a [C_out, C_in, kh, kw] kernel in `dtype`: CPU,
// groups 1, and output maps of at most 4 positions (2x2), or, in bf16/fp16,
// a strided convolution of at least 16 input channels.
bool tap_weight_grad_applies(torch::IntArrayRef input_sizes, torch::IntArrayRef kernel_sizes,
                             const ConvGeometry& geometry, torch::ScalarType dtype, torch::Device device);

// WG(u, v) in v's dtype, shaped and laid out like `kernel` (channels-last
// kernel: no copy after the GEMM). u: [N, C_in, H, W]; v: [N, C_out, Ho, Wo].
torch::Tensor tap_weight_grad(const torch::Tensor& u, const torch::Tensor& v, const torch::Tensor& kernel,
                              const ConvGeometry& geometry);

}  // namespace lrid

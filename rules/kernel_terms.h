// The kernel-sized part of an alignment loss (alignment_loss.h) in one pass:
// B's gradient from the batch terms' weight gradient g and from the
// parameter terms (decay, self), and the inner products the loss value needs.
//
//   grad  = g_scale * g + b_scale * B + w_scale * W          (B's dtype and layout)
//   value = c_gB <g, B> + c_BB |B|^2 + c_WW |W|^2 + c_WB <W, B>  (0-dim, B's dtype)
//
// g: [kernel shape] in the compute dtype (bf16/fp16 under autocast, else B's),
// or undefined (no batch terms: SA, KP); W and B: the fp32 master kernels.
//
// Why by hand: ATen takes one pass per term (the scale, the cast of g to
// fp32, the add of decay*B, the subtraction of self*W, one reduction per
// inner product), each over the whole kernel. ResNet-18 has 11M kernel
// weights, whose last stages see 1x1 and 2x2 maps at 28x28, so on a 2-core
// CPU these passes weighed as much as the convolutions they follow. The CPU
// path reads g, B and W once and writes the gradient once; elsewhere (CUDA,
// tensors of different layouts) the same result comes from ATen ops.
// Inner products are summed per block of fixed size in fp32 lanes and the
// blocks in double, in block order: the result does not depend on the thread
// count. tests/rules/kernel_terms_test.cpp checks both paths against ATen in
// double precision.
#pragma once
#include <torch/types.h>

namespace lrid {

struct KernelTermCoefficients {
  double g_scale = 0, b_scale = 0, w_scale = 0;  // gradient
  double c_gB = 0, c_BB = 0, c_WW = 0, c_WB = 0;  // value
};

struct KernelTerms {
  torch::Tensor grad;   // fresh tensor, never aliases g, B or W
  torch::Tensor value;  // 0-dim
};

KernelTerms kernel_terms(const torch::Tensor& g, const torch::Tensor& B, const torch::Tensor& W,
                         const KernelTermCoefficients& c);

}  // namespace lrid

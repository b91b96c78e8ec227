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
// count. The pass is compiled for the x86-64 baseline, AVX2 and AVX-512 and
// runs the best set this CPU has (kernel_vector_isa), as ATen's kernels do.
// tests/rules/kernel_terms_test.cpp checks both paths against ATen in
// double precision.
#pragma once
#include <torch/types.h>

namespace lrid {

struct KernelTermCoefficients {
  double g_scale = 0, b_scale = 0, w_scale = 0;  // gradient
  double c_gB = 0, c_BB = 0, c_WW = 0, c_WB = 0;  // value
};

struct KernelTerms {
  torch::Tensor grad;   // fresh tensor, never aliases g, B or W; undefined when no term has a
                        // gradient (g undefined, b_scale = w_scale = 0): the value alone
  torch::Tensor value;  // 0-dim
};

// Instruction sets of the CPU pass, in increasing order.
enum class VectorIsa { kBaseline = 0, kAvx2 = 1, kAvx512 = 2 };
// The best set this CPU supports (kBaseline off x86-64).
VectorIsa kernel_vector_isa();

KernelTerms kernel_terms(const torch::Tensor& g, const torch::Tensor& B, const torch::Tensor& W,
                         const KernelTermCoefficients& c);
// The same with the CPU pass compiled for `isa` (tests compare the sets);
// isa must not exceed kernel_vector_isa().
KernelTerms kernel_terms(const torch::Tensor& g, const torch::Tensor& B, const torch::Tensor& W,
                         const KernelTermCoefficients& c, VectorIsa isa);

}  // namespace lrid

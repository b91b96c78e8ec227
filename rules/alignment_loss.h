// Layer-local alignment losses that train the feedback kernel B
// (learning-rules.md §5, §6): R = amp*AMP + null*NULL + decay*DECAY +
// sparse*SPARSE + self*SELF over the primitives of Kunin et al.'s code:
//   AMP    = -mean_N sum(R_f * P)          NULL = mean_N sum(Xhat^2)
//   DECAY  = |W|^2 + |B|^2                  SPARSE = mean_N sum(R_f^2) + mean_N sum(P^2)
//   SELF   = -<W, B>
// with R_f = op(x; W) (+ b), P = op(x; B) (+ b), Xhat = the adjoint of op(.; B)
// applied to R_f (dense: R_f B; conv: transposed conv), every batch-dependent
// term a mean over the batch and a sum over the rest. x, W and b are detached:
// only B learns from R.
//
// Cost: the gradient is formed in closed form with one conv weight-gradient
// per distinct (input, output-gradient) pair, using the bilinearity of WG and
// the adjoint identities <WG(x, R_f), B> = <R_f, op(x; B)> and
// |Xhat|^2 = <WG(Xhat, R_f), B> to obtain the loss value without extra convs.
// Everything kernel-sized (the weight gradient's scale and its cast to fp32,
// decay and self, and the value's inner products over kernels) is one pass
// (kernel_terms.h), and backward hands that buffer on to B.grad.
// Precision: the batch terms run in the forward output's dtype (bf16 under
// bf16 autocast, like the convolutions they pair with), decay and self in
// B's fp32; the value and the gradient are returned in B's dtype.
// tests/rules/alignment_loss_test.cpp checks it against autograd of the plain
// expressions and against central finite differences.
#pragma once
#include <torch/types.h>

#include "rules/feedback_ops.h"

namespace lrid {

struct RegularizerCoefficients {
  double amp = 0, null = 0, decay = 0, sparse = 0, self = 0;
  bool use_bias_forward = true;   // R_f includes the layer's bias (when it has one)
  bool use_bias_backward = true;  // P includes the bias (changes values, not gradients)
  // decay's gradient, 2 decay B, is left to B's optimizer as coupled weight decay
  // (rules/rule.h: feedback_decay_by_optimizer): the loss still reports decay's
  // value, and a loss with no other gradient term (KP) is its value alone.
  bool decay_grad_by_optimizer = false;
  bool active() const { return amp != 0 || null != 0 || decay != 0 || sparse != 0 || self != 0; }
};

// Scalar loss, differentiable with respect to `feedback` only.
// x: the layer input; weight, bias: the forward kernel and bias (bias may be undefined).
// forward_output: the layer's output op(x; W) + bias (bias included when
// defined), if the caller has it (saves one op), else undefined.
torch::Tensor alignment_loss_dense(const torch::Tensor& x, const torch::Tensor& weight,
                                   const torch::Tensor& bias, const torch::Tensor& feedback,
                                   const RegularizerCoefficients& c,
                                   const torch::Tensor& forward_output = {});
torch::Tensor alignment_loss_conv(const torch::Tensor& x, const torch::Tensor& weight,
                                  const torch::Tensor& bias, const torch::Tensor& feedback,
                                  const ConvGeometry& geometry, const RegularizerCoefficients& c,
                                  const torch::Tensor& forward_output = {});

// The same losses written as plain tensor expressions and differentiated by
// autograd (the reference for tests; slower).
torch::Tensor alignment_loss_reference(const torch::Tensor& x, const torch::Tensor& weight,
                                       const torch::Tensor& bias, const torch::Tensor& feedback,
                                       const ConvGeometry* geometry, const RegularizerCoefficients& c);

}  // namespace lrid

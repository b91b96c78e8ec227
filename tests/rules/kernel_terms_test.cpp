// The one-pass kernel terms against the same expressions in double precision
// (ATen), for every g dtype, both layouts, sizes with a ragged tail, absent g
// or W, each instruction set the CPU has, the ATen fallback, and
// thread-count independence.
#include "rules/kernel_terms.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "rules/alignment_loss.h"
#include "test_tensors.h"

namespace lrid {
namespace {

using test::rel_err;

KernelTermCoefficients all_terms() {
  KernelTermCoefficients c;
  c.g_scale = -0.37;
  c.b_scale = 2e-3;
  c.w_scale = -1.5e-3;
  c.c_gB = -0.37;
  c.c_BB = 1e-3;
  c.c_WW = 1e-3;
  c.c_WB = -1.5e-3;
  return c;
}

// The definition, in double: grad = a g + b B + w W; value = sum of the weighted inner products.
KernelTerms reference(const torch::Tensor& g, const torch::Tensor& B, const torch::Tensor& W,
                      const KernelTermCoefficients& c) {
  const torch::Tensor Bd = B.to(torch::kDouble), Wd = W.to(torch::kDouble);
  const torch::Tensor gd = g.defined() ? g.to(torch::kDouble) : torch::zeros_like(Bd);
  torch::Tensor grad = c.g_scale * gd + c.b_scale * Bd + c.w_scale * Wd;
  torch::Tensor value = c.c_gB * (gd * Bd).sum() + c.c_BB * (Bd * Bd).sum() + c.c_WW * (Wd * Wd).sum() +
                        c.c_WB * (Wd * Bd).sum();
  return {grad, value};
}

void expect_matches_reference(const torch::Tensor& g, const torch::Tensor& B, const torch::Tensor& W,
                              const KernelTermCoefficients& c, VectorIsa isa = kernel_vector_isa()) {
  const KernelTerms got = kernel_terms(g, B, W, c, isa);
  const KernelTerms want = reference(g, B, W, c);
  EXPECT_EQ(got.grad.scalar_type(), B.scalar_type());
  EXPECT_EQ(got.grad.strides(), B.strides());
  EXPECT_EQ(got.value.dim(), 0);
  EXPECT_LE(rel_err(got.grad.to(torch::kDouble), want.grad), 1e-6);
  // The value's error is measured against the size of its terms (fp32 lanes sum
  // 512 products each; the net value can be far smaller than its terms).
  const torch::Tensor Bd = B.to(torch::kDouble).abs(), Wd = W.to(torch::kDouble).abs();
  const torch::Tensor gd = g.defined() ? g.to(torch::kDouble).abs() : torch::zeros_like(Bd);
  const double size =
      (std::abs(c.c_gB) * (gd * Bd).sum() + std::abs(c.c_BB) * (Bd * Bd).sum() +
       std::abs(c.c_WW) * (Wd * Wd).sum() + std::abs(c.c_WB) * (Wd * Bd).sum()).item<double>();
  EXPECT_NEAR(got.value.item<double>(), want.value.item<double>(), 1e-6 * size);
}

TEST(KernelTerms, MatchesDoublePrecisionForEveryGradientDtypeAndLayout) {
  torch::manual_seed(3);
  // 64 x 37 x 3 x 3 = 21,312 elements: several blocks of 4,096 and a tail that is not a multiple of 8.
  for (auto format : {torch::MemoryFormat::Contiguous, torch::MemoryFormat::ChannelsLast}) {
    const torch::Tensor B = torch::randn({64, 37, 3, 3}).contiguous(format);
    const torch::Tensor W = torch::randn({64, 37, 3, 3}).contiguous(format);
    for (auto dtype : {torch::kFloat, torch::kBFloat16, torch::kHalf}) {
      SCOPED_TRACE(std::string(c10::toString(dtype)) + (format == torch::MemoryFormat::Contiguous ? " nchw" : " nhwc"));
      const torch::Tensor g = (torch::randn({64, 37, 3, 3}) * 10).to(dtype).contiguous(format);
      expect_matches_reference(g, B, W, all_terms());
    }
  }
}

// Every instruction set this CPU has (baseline SSE2 always; AVX2 and AVX-512
// where present), with and without g and W, in each g dtype.
TEST(KernelTerms, EveryInstructionSetMatchesDoublePrecision) {
  torch::manual_seed(11);
  const torch::Tensor B = torch::randn({96, 21, 3, 3}), W = torch::randn({96, 21, 3, 3});  // 18,144: ragged tail
  KernelTermCoefficients no_w = all_terms();
  no_w.w_scale = no_w.c_WW = no_w.c_WB = 0;
  for (int isa = 0; isa <= static_cast<int>(kernel_vector_isa()); ++isa) {
    for (auto dtype : {torch::kFloat, torch::kBFloat16, torch::kHalf}) {
      SCOPED_TRACE("isa " + std::to_string(isa) + " " + c10::toString(dtype));
      const torch::Tensor g = (torch::randn({96, 21, 3, 3}) * 10).to(dtype);
      expect_matches_reference(g, B, W, all_terms(), static_cast<VectorIsa>(isa));
      expect_matches_reference(g, B, W, no_w, static_cast<VectorIsa>(isa));
    }
    expect_matches_reference(torch::Tensor(), B, W, all_terms(), static_cast<VectorIsa>(isa));
    expect_matches_reference(torch::Tensor(), B, W, no_w, static_cast<VectorIsa>(isa));
  }
}

// A set above the CPU's best is refused, on any CPU: the set one past it
// (past AVX-512 on a CPU that has it, a value no CPU supports).
TEST(KernelTerms, RefusesAnInstructionSetThisCpuLacks) {
  const torch::Tensor B = torch::zeros({4, 3});
  const auto above = static_cast<VectorIsa>(static_cast<int>(kernel_vector_isa()) + 1);
  EXPECT_THROW(kernel_terms(B, B, B, all_terms(), above), c10::Error);
}

TEST(KernelTerms, DenseAndOddSizedKernels) {
  torch::manual_seed(4);
  for (int64_t n : {1, 7, 8, 4095, 4097, 70001}) {
    SCOPED_TRACE(n);
    const torch::Tensor B = torch::randn({n, 1}), W = torch::randn({n, 1}), g = torch::randn({n, 1});
    expect_matches_reference(g, B, W, all_terms());
  }
}

TEST(KernelTerms, WithoutGradientOrWithoutW) {
  torch::manual_seed(5);
  const torch::Tensor B = torch::randn({300, 20}), W = torch::randn({300, 20}), g = torch::randn({300, 20});
  KernelTermCoefficients sa;  // decay and self, no batch terms (symmetric alignment)
  sa.b_scale = 2e-3;
  sa.c_BB = sa.c_WW = 1e-3;
  sa.w_scale = sa.c_WB = -2e-3;
  expect_matches_reference(torch::Tensor(), B, W, sa);
  KernelTermCoefficients no_w;  // W unread: an undefined W is accepted
  no_w.g_scale = no_w.c_gB = 0.5;
  no_w.b_scale = 1e-3;
  no_w.c_BB = 1e-3;
  const KernelTerms got = kernel_terms(g, B, torch::Tensor(), no_w);
  const KernelTerms want = reference(g, B, torch::zeros_like(B), no_w);
  EXPECT_LE(rel_err(got.grad.to(torch::kDouble), want.grad), 1e-6);
  EXPECT_NEAR(got.value.item<double>(), want.value.item<double>(), 1e-5 * std::abs(want.value.item<double>()));
}

// KP's loss with its decay applied by B's optimizer: no gradient term, so no
// kernel is written; the value is still whole (fast path and ATen path).
TEST(KernelTerms, ValueAloneWhenNoTermHasAGradient) {
  torch::manual_seed(9);
  KernelTermCoefficients decay_value;
  decay_value.c_BB = decay_value.c_WW = 1e-3;
  for (auto dtype : {torch::kFloat, torch::kDouble}) {  // double takes the ATen path
    const torch::Tensor B = torch::randn({40, 30, 3, 3}, dtype), W = torch::randn({40, 30, 3, 3}, dtype);
    const KernelTerms got = kernel_terms(torch::Tensor(), B, W, decay_value);
    EXPECT_FALSE(got.grad.defined());
    const torch::Tensor Bd = B.to(torch::kDouble), Wd = W.to(torch::kDouble);
    const double want = (1e-3 * (Bd.square().sum() + Wd.square().sum())).item<double>();
    EXPECT_NEAR(got.value.item<double>(), want, 1e-6 * want);
  }
}

TEST(KernelTerms, MixedLayoutsAndDoubleTakeTheAtenPathWithTheSameResult) {
  torch::manual_seed(6);
  const torch::Tensor B = torch::randn({16, 8, 3, 3}).contiguous(torch::MemoryFormat::ChannelsLast);
  const torch::Tensor W = torch::randn({16, 8, 3, 3});                       // NCHW: differs from B
  const torch::Tensor g = torch::randn({16, 8, 3, 3}).to(torch::kBFloat16);  // NCHW too
  expect_matches_reference(g, B, W, all_terms());
  const torch::Tensor Bd = B.to(torch::kDouble), Wd = W.to(torch::kDouble);
  expect_matches_reference(g.to(torch::kDouble), Bd, Wd, all_terms());
}

TEST(KernelTerms, GradientIsAFreshTensor) {
  const torch::Tensor B = torch::ones({10, 10}), W = torch::ones({10, 10}), g = torch::ones({10, 10});
  KernelTermCoefficients c;
  c.b_scale = 1;  // grad equals B's values, but must not be B's storage
  const KernelTerms t = kernel_terms(g, B, W, c);
  EXPECT_NE(t.grad.data_ptr(), B.data_ptr());
  EXPECT_NE(t.grad.data_ptr(), g.data_ptr());
  EXPECT_TRUE(torch::equal(t.grad, B));
}

TEST(KernelTerms, SameBitsOnOneThreadAndOnMany) {
  torch::manual_seed(7);
  const torch::Tensor B = torch::randn({512, 256, 3, 3}), W = torch::randn({512, 256, 3, 3});
  const torch::Tensor g = torch::randn({512, 256, 3, 3}).to(torch::kBFloat16);
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const KernelTerms one = kernel_terms(g, B, W, all_terms());
  at::set_num_threads(4);
  const KernelTerms many = kernel_terms(g, B, W, all_terms());
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one.grad, many.grad));
  EXPECT_EQ(one.value.item<float>(), many.value.item<float>());
}

TEST(KernelTerms, RejectsMismatchedShapes) {
  const torch::Tensor B = torch::zeros({4, 3}), W = torch::zeros({4, 3});
  EXPECT_THROW(kernel_terms(torch::zeros({3, 4}), B, W, all_terms()), c10::Error);
  EXPECT_THROW(kernel_terms(torch::zeros({4, 3}), B, torch::zeros({4}), all_terms()), c10::Error);
}

// Through the loss: the alignment loss's backward hands its buffer to B.grad
// (scaled in place by the incoming gradient), and refuses a second pass.
TEST(KernelTerms, AlignmentLossBackwardScalesInPlaceAndRunsOnce) {
  torch::manual_seed(8);
  const torch::Tensor x = torch::randn({6, 5}), w = torch::randn({4, 5});
  RegularizerCoefficients c;
  c.amp = 1;
  c.decay = 0.1;
  torch::Tensor B1 = torch::randn({4, 5}).requires_grad_(true);
  alignment_loss_dense(x, w, {}, B1, c).backward();
  torch::Tensor B3 = B1.detach().clone().requires_grad_(true);
  (3.0 * alignment_loss_dense(x, w, {}, B3, c)).backward();
  EXPECT_LE(rel_err(B3.grad(), 3.0 * B1.grad()), 1e-7);
  torch::Tensor B2 = B1.detach().clone().requires_grad_(true);
  torch::Tensor r = alignment_loss_dense(x, w, {}, B2, c);
  r.backward({}, /*retain_graph=*/true);
  EXPECT_THROW(r.backward(), c10::Error);
}

}  // namespace
}  // namespace lrid

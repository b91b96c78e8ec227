// Layer-local alignment losses: the spec's hand example, the IA closed form,
// finite differences, autograd of the plain expressions (dense and conv, every
// primitive), the 1x1-conv reduction, and the fixed points of IA, SA, AA, WM.
#include "rules/alignment_loss.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <optional>

#include "test_tensors.h"

namespace lrid {
namespace {

using test::kDouble;
using test::rel_err;

RegularizerCoefficients ia(double a, double b, double g) {
  RegularizerCoefficients c;
  c.amp = a;
  c.null = b;
  c.decay = g;
  return c;
}

// Value and dR/dB: the closed form (given the layer's forward output op(x; W)
// + bias, as a layer passes it, when pass_forward) or the reference.
std::pair<double, torch::Tensor> value_grad(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias,
                                            const torch::Tensor& b0, const ConvGeometry* geo,
                                            const RegularizerCoefficients& c, bool reference,
                                            bool pass_forward = false) {
  torch::Tensor b = b0.clone().requires_grad_(true);
  torch::Tensor fwd;
  if (pass_forward)
    fwd = geo ? torch::conv2d(x, w, bias, geo->stride, geo->padding, geo->dilation, geo->groups)
              : torch::linear(x, w, bias);
  torch::Tensor r = reference ? alignment_loss_reference(x, w, bias, b, geo, c)
                    : geo     ? alignment_loss_conv(x, w, bias, b, *geo, c, fwd)
                              : alignment_loss_dense(x, w, bias, b, c, fwd);
  r.backward();
  return {r.item<double>(), b.grad()};
}

TEST(AlignmentLoss, SpecHandExample) {
  // learning-rules.md §7: R_IA = 3.46875, dR/dB = [3.5, 4.75]; one SGD step (0.1) gives [0.15, -0.225].
  torch::Tensor x = torch::tensor({{1.0, 2.0}}, kDouble), w = torch::tensor({{1.0, -1.0}}, kDouble);
  torch::Tensor b = torch::tensor({{0.5, 0.25}}, kDouble);
  for (bool reference : {false, true}) {
    auto [value, grad] = value_grad(x, w, torch::Tensor(), b, nullptr, ia(2, 1, 0.5), reference);
    EXPECT_DOUBLE_EQ(value, 3.46875);
    EXPECT_TRUE(torch::allclose(grad, torch::tensor({{3.5, 4.75}}, kDouble), 0, 1e-15));
    EXPECT_TRUE(torch::allclose(b - 0.1 * grad, torch::tensor({{0.15, -0.225}}, kDouble), 0, 1e-15));
  }
}

TEST(AlignmentLoss, DenseIaMatchesClosedFormAndFiniteDifferences) {
  torch::manual_seed(10);
  const int64_t n = 4, in = 5, out = 3;
  const double a = 0.3, be = 0.2, g = 0.1;
  torch::Tensor x = torch::randn({n, in}, kDouble), w = torch::randn({out, in}, kDouble);
  torch::Tensor b = torch::randn({out, in}, kDouble), bias = torch::randn({out}, kDouble);
  for (bool with_bias : {false, true}) {
    torch::Tensor bb = with_bias ? bias : torch::Tensor();
    auto [value, grad] = value_grad(x, w, bb, b, nullptr, ia(a, be, g), false);
    // (1/N) R_f^T (2 beta Xhat - alpha x) + 2 gamma B, with R_f including the bias.
    torch::Tensor rf = torch::mm(x, w.t()) + (with_bias ? bias.unsqueeze(0) : torch::zeros({1, out}, kDouble));
    torch::Tensor closed = torch::mm(rf.t(), 2 * be * torch::mm(rf, b) - a * x) / n + 2 * g * b;
    EXPECT_LE(rel_err(grad, closed), 1e-12);
    // Central finite differences of the value.
    torch::Tensor fd = torch::zeros_like(b);
    const double h = 1e-6;
    for (int64_t i = 0; i < b.numel(); ++i) {
      torch::Tensor bp = b.clone(), bm = b.clone();
      bp.view(-1)[i] += h;
      bm.view(-1)[i] -= h;
      double vp = alignment_loss_dense(x, w, bb, bp, ia(a, be, g)).item<double>();
      double vm = alignment_loss_dense(x, w, bb, bm, ia(a, be, g)).item<double>();
      fd.view(-1)[i] = (vp - vm) / (2 * h);
    }
    EXPECT_LE(rel_err(grad, fd), 1e-7);
    auto [ref_value, ref_grad] = value_grad(x, w, bb, b, nullptr, ia(a, be, g), true);
    EXPECT_NEAR(value, ref_value, 1e-12 * std::abs(ref_value));
  }
}

TEST(AlignmentLoss, GivesNothingToXWAndBias) {
  torch::manual_seed(11);
  torch::Tensor x = torch::randn({4, 5}, kDouble).requires_grad_(true);
  torch::Tensor w = torch::randn({3, 5}, kDouble).requires_grad_(true);
  torch::Tensor bias = torch::randn({3}, kDouble).requires_grad_(true);
  torch::Tensor b = torch::randn({3, 5}, kDouble).requires_grad_(true);
  alignment_loss_dense(x, w, bias, b, ia(0.3, 0.2, 0.1)).backward();
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(w.grad().defined());
  EXPECT_FALSE(bias.grad().defined());
  EXPECT_TRUE(b.grad().defined());
}

struct Coeffs {
  const char* name;
  RegularizerCoefficients c;
};

std::vector<Coeffs> coefficient_sets() {
  RegularizerCoefficients all;
  all.amp = 0.3;
  all.null = 0.2;
  all.decay = 0.1;
  all.sparse = 0.05;
  all.self = 0.07;
  RegularizerCoefficients sa, aa, wm, nobias = all;
  sa.decay = 1e-3, sa.self = 2e-3;
  aa.sparse = 1e-3, aa.amp = 2e-3;
  wm.decay = 1e-3, wm.amp = 1e-3;
  nobias.use_bias_forward = false;
  nobias.use_bias_backward = false;
  return {{"ia", ia(0.3, 0.2, 0.1)}, {"sa", sa}, {"aa", aa}, {"wm", wm}, {"all", all}, {"all_nobias", nobias}};
}

TEST(AlignmentLoss, DenseMatchesAutogradOfTheExpressionsForEveryPrimitive) {
  torch::manual_seed(12);
  torch::Tensor x = torch::randn({6, 5}, kDouble), w = torch::randn({4, 5}, kDouble);
  torch::Tensor b = torch::randn({4, 5}, kDouble), bias = torch::randn({4}, kDouble);
  for (const auto& cs : coefficient_sets()) {
    auto [rv, rg] = value_grad(x, w, bias, b, nullptr, cs.c, true);
    for (bool pass_forward : {false, true}) {
      auto [v, g] = value_grad(x, w, bias, b, nullptr, cs.c, false, pass_forward);
      EXPECT_NEAR(v, rv, 1e-11 * std::max(1.0, std::abs(rv))) << cs.name << " forward given " << pass_forward;
      EXPECT_LE(rel_err(g, rg), 1e-11) << cs.name << " forward given " << pass_forward;
    }
  }
}

// decay_grad_by_optimizer: the value is unchanged and the gradient lacks exactly
// 2 decay B (B's optimizer applies it); with decay alone (KP) the loss is a
// value outside the graph.
TEST(AlignmentLoss, DecayGradientLeftToTheOptimizer) {
  torch::manual_seed(14);
  const ConvGeometry geo{{1, 1}, {1, 1}, {1, 1}, 1};
  torch::Tensor x = torch::randn({3, 4, 6, 6}, kDouble), w = torch::randn({5, 4, 3, 3}, kDouble);
  torch::Tensor b = torch::randn(w.sizes(), kDouble), bias = torch::randn({5}, kDouble);
  RegularizerCoefficients with = ia(0.3, 0.2, 0.7), left = with;
  left.decay_grad_by_optimizer = true;
  auto [v, g] = value_grad(x, w, bias, b, &geo, with, false);
  auto [v_left, g_left] = value_grad(x, w, bias, b, &geo, left, false);
  EXPECT_NEAR(v_left, v, 1e-12 * std::abs(v));
  EXPECT_LE(rel_err(g_left, g - 2 * 0.7 * b), 1e-12);

  RegularizerCoefficients kp;
  kp.decay = 0.7;
  kp.decay_grad_by_optimizer = true;
  torch::Tensor bb = b.clone().requires_grad_(true);
  const torch::Tensor r = alignment_loss_conv(x, w, bias, bb, geo, kp);
  EXPECT_FALSE(r.requires_grad());
  EXPECT_NEAR(r.item<double>(), 0.7 * (w.square().sum() + b.square().sum()).item<double>(), 1e-12 * r.item<double>());
}

struct LossConvCase {
  const char* name;
  int64_t h, w, stride, padding, dilation, groups, kernel;
};

TEST(AlignmentLoss, ConvMatchesAutogradOfTheExpressionsForEveryPrimitive) {
  torch::manual_seed(13);
  const std::vector<LossConvCase> cases = {{"s1_same", 8, 8, 1, 1, 1, 1, 3}, {"s2_valid_padded", 9, 9, 2, 0, 1, 1, 3},
                                       {"s2_p1_even", 8, 8, 2, 1, 1, 1, 3}, {"dilation", 9, 9, 1, 2, 2, 1, 3},
                                       {"groups", 8, 8, 1, 1, 1, 2, 3},     {"k1_s2", 8, 8, 2, 0, 1, 1, 1}};
  for (const auto& k : cases) {
    const ConvGeometry geo{{k.stride, k.stride}, {k.padding, k.padding}, {k.dilation, k.dilation}, k.groups};
    torch::Tensor x = torch::randn({3, 4, k.h, k.w}, kDouble);
    torch::Tensor w = torch::randn({6, 4 / k.groups, k.kernel, k.kernel}, kDouble);
    torch::Tensor b = torch::randn(w.sizes(), kDouble), bias = torch::randn({6}, kDouble);
    for (const auto& cs : coefficient_sets()) {
      auto [rv, rg] = value_grad(x, w, bias, b, &geo, cs.c, true);
      for (bool pass_forward : {false, true}) {
        auto [v, g] = value_grad(x, w, bias, b, &geo, cs.c, false, pass_forward);
        EXPECT_NEAR(v, rv, 1e-10 * std::max(1.0, std::abs(rv))) << k.name << " " << cs.name << " " << pass_forward;
        EXPECT_LE(rel_err(g, rg), 1e-10) << k.name << " " << cs.name << " " << pass_forward;
      }
    }
  }
}

TEST(AlignmentLoss, ConvIaMatchesTheWeightGradientFormula) {
  // dR/dB = -(alpha/N) WG(x, R_f) + (2 beta/N) WG(Xhat, R_f) + 2 gamma B (§5.5).
  torch::manual_seed(14);
  const ConvGeometry geo{{2, 2}, {1, 1}, {1, 1}, 1};
  const double a = 0.3, be = 0.2, g = 0.1;
  torch::Tensor x = torch::randn({3, 4, 8, 8}, kDouble), w = torch::randn({5, 4, 3, 3}, kDouble);
  torch::Tensor b = torch::randn(w.sizes(), kDouble);
  auto [v, grad] = value_grad(x, w, torch::Tensor(), b, &geo, ia(a, be, g), false);
  torch::Tensor rf = torch::conv2d(x, w, {}, geo.stride, geo.padding);
  torch::Tensor xhat = conv2d_input_grad(rf, x, b, geo);
  torch::Tensor want = -(a / 3) * conv2d_weight_grad(x, rf, b, geo) + (2 * be / 3) * conv2d_weight_grad(xhat, rf, b, geo) + 2 * g * b;
  EXPECT_LE(rel_err(grad, want), 1e-12);
}

TEST(AlignmentLoss, OneByOneConvReducesToDenseTimesPixels) {
  // amp and null of a 1x1 stride-1 conv = H*W x the dense values on the N*H*W pixel rows; decay equal.
  torch::manual_seed(15);
  const int64_t n = 2, c = 3, o = 4, h = 5, wd = 6;
  torch::Tensor x = torch::randn({n, c, h, wd}, kDouble), w = torch::randn({o, c, 1, 1}, kDouble);
  torch::Tensor b = torch::randn({o, c, 1, 1}, kDouble);
  torch::Tensor rows = x.permute({0, 2, 3, 1}).reshape({-1, c});
  const ConvGeometry geo;
  RegularizerCoefficients amp, null, decay;
  amp.amp = 1;
  null.null = 1;
  decay.decay = 1;
  for (auto [cs, scale] : {std::pair{amp, double(h * wd)}, std::pair{null, double(h * wd)}, std::pair{decay, 1.0}}) {
    double conv = alignment_loss_conv(x, w, {}, b, geo, cs).item<double>();
    double dense = alignment_loss_dense(rows, w.view({o, c}), {}, b.view({o, c}), cs).item<double>();
    EXPECT_NEAR(conv, scale * dense, 1e-10 * std::abs(conv));
  }
}

// Plain gradient descent on B alone for a dense layer with W and the batch fixed.
torch::Tensor descend(const torch::Tensor& x, const torch::Tensor& w, torch::Tensor b, const RegularizerCoefficients& c,
                      double lr, int steps) {
  for (int i = 0; i < steps; ++i) {
    torch::Tensor bt = b.clone().requires_grad_(true);
    alignment_loss_dense(x, w, {}, bt, c).backward();
    b = b - lr * bt.grad();
  }
  return b;
}

double angle(const torch::Tensor& a, const torch::Tensor& b) { return angle_degrees(a, b); }

TEST(AlignmentLossFixedPoint, IaConvergesToBStar) {
  torch::manual_seed(16);
  const int64_t n = 32, in = 5, out = 3;
  const double a = 0.3, be = 0.2, g = 0.1;
  torch::Tensor x = torch::randn({n, in}, kDouble), w = torch::randn({out, in}, kDouble);
  torch::Tensor b0 = torch::randn({out, in}, kDouble);
  torch::Tensor sigma = torch::mm(x.t(), x) / n;
  // B* = (alpha/2) (beta W Sigma W^T + gamma I)^-1 W Sigma
  torch::Tensor m = be * torch::mm(torch::mm(w, sigma), w.t()) + g * torch::eye(out, kDouble);
  torch::Tensor bstar = (a / 2) * torch::linalg_solve(m, torch::mm(w, sigma));
  // Step 1/L with L the largest eigenvalue of the Hessian 2 beta W Sigma W^T + 2 gamma I.
  const double l = 2 * torch::linalg_eigvalsh(m).max().item<double>();
  torch::Tensor b = descend(x, w, b0, ia(a, be, g), 1.0 / l, 4000);
  EXPECT_LE(rel_err(b, bstar), 1e-6);
  EXPECT_LT(angle(b, w), 90.0);
  EXPECT_LT(angle(b, w), angle(b0, w));
}

TEST(AlignmentLossFixedPoint, IaAlignsWithOrthonormalWAndWhiteInputs) {
  torch::manual_seed(17);
  const int64_t in = 6, out = 3;
  // Sigma = I exactly: x = sqrt(N) * identity rows.
  torch::Tensor x = torch::eye(in, kDouble) * std::sqrt(double(in));
  torch::Tensor q = std::get<0>(torch::linalg_qr(torch::randn({in, in}, kDouble)));
  torch::Tensor w = q.slice(0, 0, out);  // orthonormal rows
  // alpha = 2 beta: B* = beta/(beta+gamma) W; the Hessian is 2(beta+gamma) I.
  torch::Tensor b = descend(x, w, torch::randn({out, in}, kDouble), ia(0.4, 0.2, 0.1), 1.0 / (2 * 0.3), 50);
  EXPECT_LT(angle(b, w), 1e-4);
  EXPECT_LE(rel_err(b, (0.2 / 0.3) * w), 1e-10);
}

TEST(AlignmentLossFixedPoint, SymmetricAndActivationAlignmentReachW) {
  torch::manual_seed(18);
  const int64_t n = 64, in = 5, out = 3;
  torch::Tensor x = torch::randn({n, in}, kDouble), w = torch::randn({out, in}, kDouble);
  torch::Tensor b0 = torch::randn({out, in}, kDouble);
  RegularizerCoefficients sa, aa;
  sa.decay = 1e-3, sa.self = 2e-3;   // defaults: B* = W
  aa.sparse = 1e-3, aa.amp = 2e-3;   // defaults: B* = W (invertible Sigma)
  torch::Tensor b_sa = descend(x, w, b0, sa, 1.0 / (2 * 1e-3), 5);
  EXPECT_LT(angle(b_sa, w), 1e-6);
  EXPECT_LE(rel_err(b_sa, w), 1e-10);
  torch::Tensor sigma = torch::mm(x.t(), x) / n;
  const double l = 2 * 1e-3 * torch::linalg_eigvalsh(sigma).max().item<double>();
  torch::Tensor b_aa = descend(x, w, b0, aa, 1.0 / l, 3000);
  EXPECT_LT(angle(b_aa, w), 1e-3);
  EXPECT_GT(angle(b0, w), 30.0);
}

TEST(AlignmentLossFixedPoint, WeightMirrorReachesAMultipleOfWSigma) {
  torch::manual_seed(19);
  const int64_t n = 64, in = 5, out = 3;
  torch::Tensor x = torch::randn({n, in}, kDouble), w = torch::randn({out, in}, kDouble);
  RegularizerCoefficients wm;
  wm.decay = 1e-3, wm.amp = 1e-3;
  torch::Tensor b = descend(x, w, torch::randn({out, in}, kDouble), wm, 1.0 / (2 * 1e-3), 5);
  torch::Tensor want = (1e-3 / (2 * 1e-3)) * torch::mm(w, torch::mm(x.t(), x) / n);  // (beta/2alpha) W Sigma
  EXPECT_LE(rel_err(b, want), 1e-10);
}

TEST(AlignmentLoss, Bf16BatchTermsGiveAnFp32GradientNearTheFp32One) {
  torch::manual_seed(21);
  const torch::Tensor x = torch::randn({8, 3, 7, 7}), w = torch::randn({4, 3, 3, 3}) * 0.3,
                      bias = torch::randn({4}) * 0.1, B0 = torch::randn({4, 3, 3, 3}) * 0.3;
  ConvGeometry geo;
  geo.padding = {1, 1};
  RegularizerCoefficients c;  // information alignment: amp, null and decay
  c.amp = 1;
  c.null = 0.5;
  c.decay = 1e-3;
  auto loss_and_grad = [&](bool bf16) {
    torch::Tensor B = B0.clone().requires_grad_(true);
    torch::Tensor r;
    {
      std::optional<test::CpuBf16Autocast> autocast;
      if (bf16) autocast.emplace();
      // The layer passes its forward output op(x; W) + bias, in the compute dtype.
      const torch::Tensor fwd = torch::conv2d(x, w, bias, geo.stride, geo.padding);
      r = alignment_loss_conv(x, w, bias, B, geo, c, fwd);
    }
    r.backward();
    return std::make_pair(r, B.grad());
  };
  const auto [r32, g32] = loss_and_grad(false);
  const auto [r16, g16] = loss_and_grad(true);
  EXPECT_EQ(g16.scalar_type(), torch::kFloat);
  EXPECT_EQ(r16.scalar_type(), torch::kFloat);
  EXPECT_LE(rel_err(g16, g32), 3e-2);
  EXPECT_NEAR(r16.item<double>(), r32.item<double>(), 3e-2 * std::abs(r32.item<double>()));
}

}  // namespace
}  // namespace lrid

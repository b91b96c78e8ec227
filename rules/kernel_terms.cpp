// One pass over the kernel-sized terms of an alignment loss. See kernel_terms.h.
#include "rules/kernel_terms.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <array>
#include <vector>

namespace lrid {
namespace {

// Elements per block: the unit of work of one thread and of one partial sum.
// Each of the 8 fp32 lanes sums 512 products before the block's total is
// taken in double.
constexpr int64_t kBlock = 4096;
constexpr int kLanes = 8;

using Sums = std::array<double, 4>;  // <g, B>, |B|^2, |W|^2, <W, B>

template <typename G>
inline float to_float(G v) {
  return static_cast<float>(v);
}

// One block [lo, hi): writes out and returns its four sums. HasG / HasW drop
// the reads of an absent g or an unneeded W at compile time; the 8
// independent lanes let the compiler vectorise without reordering a sum.
template <typename G, bool HasG, bool HasW>
Sums block(const G* g, const float* B, const float* W, float* out, int64_t lo, int64_t hi, float gs, float bs,
           float ws) {
  float acc[4][kLanes] = {};
  int64_t i = lo;
  for (; i + kLanes <= hi; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      const float gv = HasG ? to_float(g[i + j]) : 0.f;
      const float b = B[i + j];
      const float w = HasW ? W[i + j] : 0.f;
      out[i + j] = gs * gv + bs * b + ws * w;
      acc[0][j] += gv * b;
      acc[1][j] += b * b;
      acc[2][j] += w * w;
      acc[3][j] += w * b;
    }
  }
  for (int j = 0; i < hi; ++i, ++j) {  // the tail, fewer than kLanes elements
    const float gv = HasG ? to_float(g[i]) : 0.f;
    const float b = B[i];
    const float w = HasW ? W[i] : 0.f;
    out[i] = gs * gv + bs * b + ws * w;
    acc[0][j] += gv * b;
    acc[1][j] += b * b;
    acc[2][j] += w * w;
    acc[3][j] += w * b;
  }
  Sums s{0, 0, 0, 0};
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < kLanes; ++j) s[k] += acc[k][j];
  return s;
}

template <typename G, bool HasG, bool HasW>
Sums run_blocks(const G* g, const float* B, const float* W, float* out, int64_t n, float gs, float bs, float ws) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<Sums> partial(static_cast<size_t>(blocks));
  // Grain of 8 blocks (32K elements): a small layer's kernel stays on one thread.
  at::parallel_for(0, blocks, 8, [&](int64_t b0, int64_t b1) {
    for (int64_t k = b0; k < b1; ++k)
      partial[static_cast<size_t>(k)] =
          block<G, HasG, HasW>(g, B, W, out, k * kBlock, std::min(n, (k + 1) * kBlock), gs, bs, ws);
  });
  Sums total{0, 0, 0, 0};
  for (const Sums& p : partial)  // block order: independent of the thread count
    for (int k = 0; k < 4; ++k) total[k] += p[k];
  return total;
}

template <typename G>
Sums dispatch_flags(const G* g, const float* B, const float* W, float* out, int64_t n, float gs, float bs, float ws) {
  if (g && W) return run_blocks<G, true, true>(g, B, W, out, n, gs, bs, ws);
  if (g) return run_blocks<G, true, false>(g, B, W, out, n, gs, bs, ws);
  if (W) return run_blocks<G, false, true>(g, B, W, out, n, gs, bs, ws);
  return run_blocks<G, false, false>(g, B, W, out, n, gs, bs, ws);
}

bool same_strides(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && a.strides() == b.strides();
}

// The CPU pass applies when every tensor it reads is a dense fp32 (g: fp32,
// bf16 or fp16) CPU tensor with B's strides, so that one index walks all of
// them in memory order.
bool fast_path(const torch::Tensor& g, const torch::Tensor& B, const torch::Tensor& W, bool reads_w) {
  if (!B.device().is_cpu() || B.scalar_type() != torch::kFloat || !B.is_non_overlapping_and_dense()) return false;
  if (reads_w && (W.scalar_type() != torch::kFloat || !W.device().is_cpu() || !same_strides(W, B))) return false;
  if (g.defined()) {
    const auto t = g.scalar_type();
    if (!g.device().is_cpu() || !same_strides(g, B) ||
        (t != torch::kFloat && t != torch::kBFloat16 && t != torch::kHalf))
      return false;
  }
  return true;
}

KernelTerms with_aten(const torch::Tensor& g, const torch::Tensor& B, const torch::Tensor& W,
                      const KernelTermCoefficients& c) {
  const torch::Tensor gf = g.defined() ? g.to(B.scalar_type()) : g;
  torch::Tensor grad = torch::zeros_like(B);
  torch::Tensor value = torch::zeros({}, B.options());
  if (gf.defined()) {
    grad.add_(gf, c.g_scale);
    if (c.c_gB != 0) value += c.c_gB * (gf * B).sum();
  }
  if (c.b_scale != 0) grad.add_(B, c.b_scale);
  if (c.w_scale != 0) grad.add_(W, c.w_scale);
  if (c.c_BB != 0) value += c.c_BB * B.square().sum();
  if (c.c_WW != 0) value += c.c_WW * W.square().sum();
  if (c.c_WB != 0) value += c.c_WB * (W * B).sum();
  return {grad, value};
}

}  // namespace

KernelTerms kernel_terms(const torch::Tensor& g, const torch::Tensor& B, const torch::Tensor& W,
                         const KernelTermCoefficients& c) {
  TORCH_CHECK(B.defined(), "kernel_terms: B is undefined");
  TORCH_CHECK(!g.defined() || g.sizes() == B.sizes(), "kernel_terms: g ", g.sizes(), " and B ", B.sizes(),
              " differ in shape");
  const bool reads_w = c.w_scale != 0 || c.c_WW != 0 || c.c_WB != 0;
  TORCH_CHECK(!reads_w || (W.defined() && W.sizes() == B.sizes()), "kernel_terms: W must have B's shape ",
              B.sizes());
  if (!fast_path(g, B, W, reads_w)) return with_aten(g, B, reads_w ? W : torch::Tensor(), c);

  torch::Tensor grad = torch::empty_like(B);  // B's strides (dense: preserve_format keeps them)
  TORCH_CHECK(grad.strides() == B.strides(), "kernel_terms: gradient strides differ from B's");
  const int64_t n = B.numel();
  const float gs = static_cast<float>(c.g_scale), bs = static_cast<float>(c.b_scale),
              ws = static_cast<float>(c.w_scale);
  const float* Bp = B.data_ptr<float>();
  const float* Wp = reads_w ? W.data_ptr<float>() : nullptr;
  float* out = grad.data_ptr<float>();
  Sums s{};
  if (!g.defined()) s = dispatch_flags<float>(nullptr, Bp, Wp, out, n, gs, bs, ws);
  else if (g.scalar_type() == torch::kFloat) s = dispatch_flags(g.data_ptr<float>(), Bp, Wp, out, n, gs, bs, ws);
  else if (g.scalar_type() == torch::kBFloat16)
    s = dispatch_flags(g.data_ptr<c10::BFloat16>(), Bp, Wp, out, n, gs, bs, ws);
  else s = dispatch_flags(g.data_ptr<c10::Half>(), Bp, Wp, out, n, gs, bs, ws);
  const double v = c.c_gB * s[0] + c.c_BB * s[1] + c.c_WW * s[2] + c.c_WB * s[3];
  return {grad, torch::scalar_tensor(v, B.options())};
}

}  // namespace lrid

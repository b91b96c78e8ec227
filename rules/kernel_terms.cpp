// One pass over the kernel-sized terms of an alignment loss. See kernel_terms.h.
#include "rules/kernel_terms.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <cstring>
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

// Eight lanes as one GCC vector: written as vector arithmetic, so that every
// instruction set below runs the lanes in one register (GCC left the plain
// 8-lane loop scalar), with the same per-lane sums whatever the set.
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
typedef uint16_t Lanes16 __attribute__((vector_size(kLanes * sizeof(uint16_t))));
typedef uint32_t Lanes32 __attribute__((vector_size(kLanes * sizeof(uint32_t))));

// (An out-parameter, not a return value: a vector returned from a baseline
// function would change the calling convention between the sets.)
template <typename G>
[[gnu::always_inline]] inline void load_lanes(const G* p, Lanes& v) {
  float f[kLanes];
  for (int j = 0; j < kLanes; ++j) f[j] = to_float(p[j]);
  std::memcpy(&v, f, sizeof v);
}
template <>
[[gnu::always_inline]] inline void load_lanes<float>(const float* p, Lanes& v) {
  std::memcpy(&v, p, sizeof v);
}
template <>
[[gnu::always_inline]] inline void load_lanes<c10::BFloat16>(const c10::BFloat16* p, Lanes& v) {
  // bf16 is the upper half of an fp32: widen, shift, reinterpret.
  Lanes16 h;
  std::memcpy(&h, p, sizeof h);
  const Lanes32 w = __builtin_convertvector(h, Lanes32) << 16;
  std::memcpy(&v, &w, sizeof v);
}

// One block [lo, hi): writes out (unless out is null: the value alone) and
// returns its four sums. HasG / HasW drop the reads of an absent g or an
// unneeded W at compile time. Lane j sums the elements lo + j (mod 8) in
// order, then the tail, then the lanes in order: a fixed order, so the result
// does not depend on the thread count.
// Always inlined, so that it is compiled once per instruction set below.
template <typename G, bool HasG, bool HasW>
[[gnu::always_inline]] inline Sums block(const G* __restrict g, const float* __restrict B,
                                         const float* __restrict W, float* __restrict out, int64_t lo, int64_t hi,
                                         float gs, float bs, float ws) {
  Lanes acc0{}, acc1{}, acc2{}, acc3{};
  const Lanes vgs = gs - Lanes{}, vbs = bs - Lanes{}, vws = ws - Lanes{};
  int64_t i = lo;
  for (; i + kLanes <= hi; i += kLanes) {
    Lanes gv{}, b, w{};
    if (HasG) load_lanes(g + i, gv);
    load_lanes(B + i, b);
    if (HasW) load_lanes(W + i, w);
    if (out != nullptr) {
      const Lanes o = vgs * gv + vbs * b + vws * w;
      std::memcpy(out + i, &o, sizeof o);
    }
    acc0 += gv * b;
    acc1 += b * b;
    acc2 += w * w;
    acc3 += w * b;
  }
  float acc[4][kLanes];
  std::memcpy(acc[0], &acc0, sizeof acc0);
  std::memcpy(acc[1], &acc1, sizeof acc1);
  std::memcpy(acc[2], &acc2, sizeof acc2);
  std::memcpy(acc[3], &acc3, sizeof acc3);
  for (int j = 0; i < hi; ++i, ++j) {  // the tail, fewer than kLanes elements
    const float gv = HasG ? to_float(g[i]) : 0.f;
    const float b = B[i];
    const float w = HasW ? W[i] : 0.f;
    if (out != nullptr) out[i] = gs * gv + bs * b + ws * w;
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

// The block compiled for each instruction set. The project builds for the
// x86-64 baseline (SSE2), where this loop ran compute-bound: on ResNet-18 in
// bf16 it took 2.7x as long as ATen's fused Adam step, which moves twice the
// bytes. ATen's own kernels pick AVX2 or AVX-512 at run time; so does this
// pass (kernel_vector_isa). Results differ between sets only in rounding
// (AVX2 and AVX-512 contract multiply-adds into FMAs); on one machine the
// set, and so every bit, is fixed.
// Each takes g untyped, so that all of them are one pointer type (BlockFn).
using BlockFn = Sums (*)(const void* g, const float* B, const float* W, float* out, int64_t lo, int64_t hi,
                         float gs, float bs, float ws);

template <typename G, bool HasG, bool HasW>
Sums block_baseline(const void* g, const float* B, const float* W, float* out, int64_t lo, int64_t hi, float gs,
                    float bs, float ws) {
  return block<G, HasG, HasW>(static_cast<const G*>(g), B, W, out, lo, hi, gs, bs, ws);
}
#if defined(__x86_64__) && defined(__GNUC__)
template <typename G, bool HasG, bool HasW>
__attribute__((target("avx2,fma,f16c"))) Sums block_avx2(const void* g, const float* B, const float* W, float* out,
                                                         int64_t lo, int64_t hi, float gs, float bs, float ws) {
  return block<G, HasG, HasW>(static_cast<const G*>(g), B, W, out, lo, hi, gs, bs, ws);
}
template <typename G, bool HasG, bool HasW>
__attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c"))) Sums block_avx512(
    const void* g, const float* B, const float* W, float* out, int64_t lo, int64_t hi, float gs, float bs,
    float ws) {
  return block<G, HasG, HasW>(static_cast<const G*>(g), B, W, out, lo, hi, gs, bs, ws);
}
#endif

template <typename G, bool HasG, bool HasW>
BlockFn block_for(VectorIsa isa) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (isa == VectorIsa::kAvx512) return &block_avx512<G, HasG, HasW>;
  if (isa == VectorIsa::kAvx2) return &block_avx2<G, HasG, HasW>;
#endif
  return &block_baseline<G, HasG, HasW>;
}

Sums run_blocks(BlockFn fn, const void* g, const float* B, const float* W, float* out, int64_t n, float gs,
                float bs, float ws) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<Sums> partial(static_cast<size_t>(blocks));
  // Grain of 8 blocks (32K elements): a small layer's kernel stays on one thread.
  at::parallel_for(0, blocks, 8, [&](int64_t b0, int64_t b1) {
    for (int64_t k = b0; k < b1; ++k)
      partial[static_cast<size_t>(k)] = fn(g, B, W, out, k * kBlock, std::min(n, (k + 1) * kBlock), gs, bs, ws);
  });
  Sums total{0, 0, 0, 0};
  for (const Sums& p : partial)  // block order: independent of the thread count
    for (int k = 0; k < 4; ++k) total[k] += p[k];
  return total;
}

template <typename G>
BlockFn select_block(bool has_g, bool has_w, VectorIsa isa) {
  if (has_g && has_w) return block_for<G, true, true>(isa);
  if (has_g) return block_for<G, true, false>(isa);
  if (has_w) return block_for<G, false, true>(isa);
  return block_for<G, false, false>(isa);
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
  const bool value_only = !g.defined() && c.b_scale == 0 && c.w_scale == 0;
  torch::Tensor grad = value_only ? torch::Tensor() : torch::zeros_like(B);
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

VectorIsa kernel_vector_isa() {
#if defined(__x86_64__) && defined(__GNUC__)
  static const VectorIsa best = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
      return VectorIsa::kAvx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return VectorIsa::kAvx2;
    return VectorIsa::kBaseline;
  }();
  return best;
#else
  return VectorIsa::kBaseline;
#endif
}

KernelTerms kernel_terms(const torch::Tensor& g, const torch::Tensor& B, const torch::Tensor& W,
                         const KernelTermCoefficients& c) {
  return kernel_terms(g, B, W, c, kernel_vector_isa());
}

KernelTerms kernel_terms(const torch::Tensor& g, const torch::Tensor& B, const torch::Tensor& W,
                         const KernelTermCoefficients& c, VectorIsa isa) {
  TORCH_CHECK(isa <= kernel_vector_isa(), "kernel_terms: this CPU lacks the requested instruction set");
  TORCH_CHECK(B.defined(), "kernel_terms: B is undefined");
  TORCH_CHECK(!g.defined() || g.sizes() == B.sizes(), "kernel_terms: g ", g.sizes(), " and B ", B.sizes(),
              " differ in shape");
  const bool reads_w = c.w_scale != 0 || c.c_WW != 0 || c.c_WB != 0;
  TORCH_CHECK(!reads_w || (W.defined() && W.sizes() == B.sizes()), "kernel_terms: W must have B's shape ",
              B.sizes());
  if (!fast_path(g, B, W, reads_w)) return with_aten(g, B, reads_w ? W : torch::Tensor(), c);

  // No gradient term at all (KP's decay, applied by B's optimizer): the value alone, no kernel written.
  const bool value_only = !g.defined() && c.b_scale == 0 && c.w_scale == 0;
  torch::Tensor grad = value_only ? torch::Tensor() : torch::empty_like(B);  // B's strides (dense)
  TORCH_CHECK(value_only || grad.strides() == B.strides(), "kernel_terms: gradient strides differ from B's");
  const int64_t n = B.numel();
  const float gs = static_cast<float>(c.g_scale), bs = static_cast<float>(c.b_scale),
              ws = static_cast<float>(c.w_scale);
  const float* Bp = B.data_ptr<float>();
  const float* Wp = reads_w ? W.data_ptr<float>() : nullptr;
  float* out = value_only ? nullptr : grad.data_ptr<float>();
  const bool has_g = g.defined();
  BlockFn fn = nullptr;
  if (!has_g || g.scalar_type() == torch::kFloat) fn = select_block<float>(has_g, reads_w, isa);
  else if (g.scalar_type() == torch::kBFloat16) fn = select_block<c10::BFloat16>(has_g, reads_w, isa);
  else fn = select_block<c10::Half>(has_g, reads_w, isa);
  const Sums s = run_blocks(fn, has_g ? g.data_ptr() : nullptr, Bp, Wp, out, n, gs, bs, ws);
  const double v = c.c_gB * s[0] + c.c_BB * s[1] + c.c_WW * s[2] + c.c_WB * s[3];
  return {grad, torch::scalar_tensor(v, B.options())};
}

}  // namespace lrid

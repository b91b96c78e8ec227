// Weight gradient of small-map convolutions as one GEMM over taps. See tap_weight_grad.h.
#include "rules/tap_weight_grad.h"

#include <torch/torch.h>

#include <vector>

namespace lrid {
namespace {

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Output positions o in [lo, hi) whose input index o*s - p + off lies in [0, in).
struct Range {
  int64_t lo, hi;
  bool empty() const { return hi <= lo; }
};
Range valid_outputs(int64_t out, int64_t in, int64_t off, int64_t s, int64_t p) {
  const int64_t lo = std::max<int64_t>(0, -floor_div(off - p, s));  // ceil((p - off) / s)
  const int64_t hi = std::min<int64_t>(out, floor_div(in - 1 + p - off, s) + 1);
  return {lo, std::max(lo, hi)};
}

struct Tap {
  int64_t i, j;  // kernel position
  Range y, x;    // output positions that read inside the input
};

}  // namespace

int64_t conv_output_size(int64_t input, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation) {
  return (input + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
}

bool tap_weight_grad_applies(torch::IntArrayRef in, torch::IntArrayRef k, const ConvGeometry& geo,
                             torch::ScalarType dtype, torch::Device device) {
  if (!device.is_cpu() || geo.groups != 1 || in.size() != 4 || k.size() != 4) return false;
  const int64_t ho = conv_output_size(in[2], k[2], geo.stride[0], geo.padding[0], geo.dilation[0]);
  const int64_t wo = conv_output_size(in[3], k[3], geo.stride[1], geo.padding[1], geo.dilation[1]);
  if (ho < 1 || wo < 1) return false;
  if (ho * wo <= 4) return true;
  const bool reduced = dtype == torch::kBFloat16 || dtype == torch::kHalf;
  return reduced && (geo.stride[0] > 1 || geo.stride[1] > 1) && in[1] >= 16;
}

torch::Tensor tap_weight_grad(const torch::Tensor& u, const torch::Tensor& v, const torch::Tensor& kernel,
                              const ConvGeometry& geo) {
  TORCH_CHECK(u.dim() == 4 && v.dim() == 4 && kernel.dim() == 4 && geo.groups == 1,
              "tap_weight_grad: 4-d input, output gradient and kernel, groups 1");
  const int64_t n = u.size(0), c = u.size(1), h = u.size(2), w = u.size(3);
  const int64_t o = v.size(1), ho = v.size(2), wo = v.size(3), kh = kernel.size(2), kw = kernel.size(3);
  TORCH_CHECK(kernel.size(0) == o && kernel.size(1) == c && v.size(0) == n, "tap_weight_grad: kernel ",
              kernel.sizes(), " does not match input ", u.sizes(), " and output gradient ", v.sizes());
  const int64_t sh = geo.stride[0], sw = geo.stride[1], ph = geo.padding[0], pw = geo.padding[1];
  const int64_t dh = geo.dilation[0], dw = geo.dilation[1];
  std::vector<Tap> taps;
  bool full = true;  // every tap reads inside the input at every output position
  for (int64_t i = 0; i < kh; ++i) {
    const Range ry = valid_outputs(ho, h, i * dh, sh, ph);
    for (int64_t j = 0; j < kw; ++j) {
      const Range rx = valid_outputs(wo, w, j * dw, sw, pw);
      if (ry.empty() || rx.empty()) {
        full = false;
        continue;
      }
      full = full && ry.lo == 0 && ry.hi == ho && rx.lo == 0 && rx.hi == wo;
      taps.push_back({i, j, ry, rx});
    }
  }
  const auto t = static_cast<int64_t>(taps.size());
  const torch::Tensor u_nhwc = u.permute({0, 2, 3, 1});  // [N, H, W, C], a view
  // cols: [N, Ho, Wo, T, C]; zero where an output position reads padding.
  torch::Tensor cols = full ? torch::empty({n, ho, wo, t, c}, v.options())
                            : torch::zeros({n, ho, wo, t, c}, v.options());
  for (int64_t k = 0; k < t; ++k) {
    const Tap& tp = taps[static_cast<size_t>(k)];
    const int64_t y0 = tp.y.lo * sh - ph + tp.i * dh, x0 = tp.x.lo * sw - pw + tp.j * dw;
    cols.select(3, k)
        .slice(1, tp.y.lo, tp.y.hi)
        .slice(2, tp.x.lo, tp.x.hi)
        .copy_(u_nhwc.slice(1, y0, y0 + (tp.y.hi - tp.y.lo - 1) * sh + 1, sh)
                   .slice(2, x0, x0 + (tp.x.hi - tp.x.lo - 1) * sw + 1, sw));
  }
  // rows(v): [N*Ho*Wo, C_out], a view when v is channels-last.
  const torch::Tensor rows = v.permute({0, 2, 3, 1}).reshape({n * ho * wo, o});
  const torch::Tensor product = rows.t().mm(cols.view({n * ho * wo, t * c}));  // [C_out, T*C]
  torch::Tensor ohwi;  // [C_out, kh, kw, C_in]
  if (t == kh * kw) {
    ohwi = product.view({o, kh, kw, c});
  } else {
    ohwi = torch::zeros({o, kh, kw, c}, v.options());
    const torch::Tensor per_tap = product.view({o, t, c});
    for (int64_t k = 0; k < t; ++k) {
      const Tap& tp = taps[static_cast<size_t>(k)];
      ohwi.select(1, tp.i).select(1, tp.j).copy_(per_tap.select(1, k));
    }
  }
  const torch::Tensor result = ohwi.permute({0, 3, 1, 2});  // [C_out, C_in, kh, kw], channels-last strides
  // In the kernel's own strides (those of a channels-last kernel already), so that autograd
  // can adopt the buffer as the gradient.
  if (result.strides() == kernel.strides()) return result;
  return at::empty_strided(kernel.sizes(), kernel.strides(), v.options()).copy_(result);
}

}  // namespace lrid

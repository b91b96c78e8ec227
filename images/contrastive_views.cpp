// SimCLR views. See contrastive_views.h. Written here because no packaged C++
// library provides SimCLR's augmentations on LibTorch tensors (torchvision's
// transforms are Python); the formulas follow torchvision's functional ops.
#include "images/contrastive_views.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "core/errors.h"

namespace lrid {
namespace {

namespace F = torch::nn::functional;

// Per-image factors [n] broadcast over [n, C, H, W].
torch::Tensor per_image(const torch::Tensor& f, const torch::Tensor& like) {
  return f.to(like.dtype()).view({-1, 1, 1, 1});
}

// Luma [n, 1, H, W] of RGB images (ITU-R 601-2, torchvision's rgb_to_grayscale); C = 1 is its own luma.
torch::Tensor luma(const torch::Tensor& x) {
  if (x.size(1) == 1) return x;
  return 0.299 * x.select(1, 0).unsqueeze(1) + 0.587 * x.select(1, 1).unsqueeze(1) +
         0.114 * x.select(1, 2).unsqueeze(1);
}

// Applies op to the rows of x where mask is set: x[mask] = op(x[mask], arg[mask]).
template <class Op>
void apply_where(torch::Tensor& x, const torch::Tensor& mask, const torch::Tensor& arg, Op op) {
  torch::Tensor idx = mask.nonzero().view(-1);
  if (idx.numel() == 0) return;
  x.index_copy_(0, idx, op(x.index_select(0, idx), arg.index_select(0, idx)));
}

}  // namespace

int64_t blur_kernel_size(int64_t size) { return 2 * ((size / 10) / 2) + 1; }

CropBox sample_crop(int64_t height, int64_t width, double scale_min, const double* u, int attempts) {
  const double area = static_cast<double>(height * width);
  const double log_lo = std::log(3.0 / 4.0), log_hi = std::log(4.0 / 3.0);
  for (int a = 0; a < attempts; ++a) {
    const double* v = u + 4 * a;
    const double target = area * (scale_min + (1.0 - scale_min) * v[0]);
    const double ratio = std::exp(log_lo + (log_hi - log_lo) * v[1]);
    const auto w = static_cast<int64_t>(std::llround(std::sqrt(target * ratio)));
    const auto h = static_cast<int64_t>(std::llround(std::sqrt(target / ratio)));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const auto top = std::min<int64_t>(height - h, static_cast<int64_t>(v[2] * static_cast<double>(height - h + 1)));
      const auto left = std::min<int64_t>(width - w, static_cast<int64_t>(v[3] * static_cast<double>(width - w + 1)));
      return {static_cast<double>(top), static_cast<double>(left), static_cast<double>(h), static_cast<double>(w)};
    }
  }
  return {0, 0, static_cast<double>(height), static_cast<double>(width)};
}

torch::Tensor resized_crop(const torch::Tensor& images, const std::vector<CropBox>& boxes,
                           const std::vector<bool>& flip, int64_t size) {
  TORCH_CHECK(images.dim() == 4, "resized_crop: images must be [B, C, H, W]");
  const int64_t b = images.size(0);
  TORCH_CHECK(static_cast<int64_t>(boxes.size()) == b && static_cast<int64_t>(flip.size()) == b,
              "resized_crop: one box and one flip per image");
  const double h = static_cast<double>(images.size(2)), w = static_cast<double>(images.size(3));
  // Output coordinate u in [-1, 1] (align_corners = false) maps to the box:
  // x_in = (w_box / W) u + (2 left + w_box) / W - 1; a flip negates the slope.
  std::vector<float> theta(static_cast<std::size_t>(b) * 6, 0.0f);
  for (int64_t i = 0; i < b; ++i) {
    const CropBox& c = boxes[static_cast<std::size_t>(i)];
    float* t = theta.data() + 6 * i;
    t[0] = static_cast<float>((flip[static_cast<std::size_t>(i)] ? -1.0 : 1.0) * c.width / w);
    t[2] = static_cast<float>((2.0 * c.left + c.width) / w - 1.0);
    t[4] = static_cast<float>(c.height / h);
    t[5] = static_cast<float>((2.0 * c.top + c.height) / h - 1.0);
  }
  torch::Tensor th = torch::from_blob(theta.data(), {b, 2, 3}, torch::kFloat32).clone().to(images.device());
  torch::Tensor grid = F::affine_grid(th.to(images.dtype()), {b, images.size(1), size, size}, false);
  return F::grid_sample(images, grid,
                        F::GridSampleFuncOptions().mode(torch::kBicubic).padding_mode(torch::kBorder).align_corners(false));
}

torch::Tensor adjust_brightness(const torch::Tensor& x, const torch::Tensor& f) {
  return (x * per_image(f, x)).clamp(0.0, 1.0);
}

torch::Tensor adjust_contrast(const torch::Tensor& x, const torch::Tensor& f) {
  torch::Tensor m = luma(x).mean({1, 2, 3}, true);
  torch::Tensor k = per_image(f, x);
  return (k * x + (1 - k) * m).clamp(0.0, 1.0);
}

torch::Tensor adjust_saturation(const torch::Tensor& x, const torch::Tensor& f) {
  if (x.size(1) != 3) return x;
  torch::Tensor k = per_image(f, x);
  return (k * x + (1 - k) * luma(x)).clamp(0.0, 1.0);
}

torch::Tensor to_grayscale(const torch::Tensor& x) {
  if (x.size(1) != 3) return x;
  return luma(x).expand_as(x).contiguous();
}

// RGB <-> HSV as in torchvision's _rgb2hsv / _hsv2rgb (hue in turns, [0, 1)).
torch::Tensor adjust_hue(const torch::Tensor& x, const torch::Tensor& shift) {
  if (x.size(1) != 3) return x;
  torch::Tensor r = x.select(1, 0), g = x.select(1, 1), b = x.select(1, 2);
  torch::Tensor maxc = std::get<0>(x.max(1)), minc = std::get<0>(x.min(1));
  torch::Tensor eqc = maxc.eq(minc);
  torch::Tensor cr = maxc - minc;
  torch::Tensor ones = torch::ones_like(maxc);
  torch::Tensor s = cr / torch::where(eqc, ones, maxc);
  torch::Tensor crd = torch::where(eqc, ones, cr);
  torch::Tensor rc = (maxc - r) / crd, gc = (maxc - g) / crd, bc = (maxc - b) / crd;
  torch::Tensor hr = maxc.eq(r).to(x.dtype()) * (bc - gc);
  torch::Tensor hg = (maxc.eq(g) & maxc.ne(r)).to(x.dtype()) * (2.0 + rc - bc);
  torch::Tensor hb = (maxc.ne(g) & maxc.ne(r)).to(x.dtype()) * (4.0 + gc - rc);
  torch::Tensor h = torch::fmod((hr + hg + hb) / 6.0 + 1.0, 1.0);
  h = torch::remainder(h + shift.to(x.dtype()).view({-1, 1, 1}), 1.0);
  torch::Tensor v = maxc;
  torch::Tensor i6 = torch::floor(h * 6.0);
  torch::Tensor fr = h * 6.0 - i6;
  torch::Tensor i = torch::remainder(i6.to(torch::kInt64), 6);
  torch::Tensor p = (v * (1.0 - s)).clamp(0.0, 1.0);
  torch::Tensor q = (v * (1.0 - s * fr)).clamp(0.0, 1.0);
  torch::Tensor t = (v * (1.0 - s * (1.0 - fr))).clamp(0.0, 1.0);
  torch::Tensor mask = i.unsqueeze(1).eq(torch::arange(6, i.options()).view({1, 6, 1, 1})).to(x.dtype());
  auto pick = [&](std::initializer_list<torch::Tensor> a) { return (mask * torch::stack(a, 1)).sum(1); };
  torch::Tensor out = torch::stack({pick({v, q, p, p, t, v}), pick({t, v, v, q, p, p}), pick({p, p, t, v, v, q})}, 1);
  return out.clamp(0.0, 1.0);
}

torch::Tensor gaussian_blur(const torch::Tensor& x, const torch::Tensor& sigma, int64_t kernel) {
  TORCH_CHECK(kernel >= 1 && kernel % 2 == 1, "gaussian_blur: the kernel side must be odd, got ", kernel);
  if (kernel == 1) return x;
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), r = kernel / 2;
  torch::Tensor offs = torch::arange(-r, r + 1, x.options()).view({1, kernel});
  torch::Tensor s = sigma.to(x.dtype()).view({n, 1});
  torch::Tensor k = torch::exp(-(offs * offs) / (2.0 * s * s));
  k = (k / k.sum(1, true)).repeat_interleave(c, 0);  // [n*C, kernel]
  torch::Tensor y = x.reshape({1, n * c, h, w});
  // Reflect padding needs r < side; replicate on tinier images.
  F::PadFuncOptions pad({r, r, r, r});
  if (r < h && r < w) pad.mode(torch::kReflect);
  else pad.mode(torch::kReplicate);
  y = F::pad(y, pad);
  y = F::conv2d(y, k.view({n * c, 1, kernel, 1}), F::Conv2dFuncOptions().groups(n * c));
  y = F::conv2d(y, k.view({n * c, 1, 1, kernel}), F::Conv2dFuncOptions().groups(n * c));
  return y.view({n, c, h, w});
}

torch::Tensor contrastive_view(const torch::Tensor& images, int64_t size, const ViewOptions& o, at::Generator& gen,
                               int64_t draw_rows, int64_t first_row) {
  TORCH_CHECK(images.dim() == 4 && images.is_floating_point(), "contrastive_view: images must be float [B, C, H, W]");
  if (!(o.crop_scale_min > 0 && o.crop_scale_min <= 1))
    throw ConfigError(fmt::format("views: crop_scale_min must be in (0, 1], got {}", o.crop_scale_min));
  const int64_t b = images.size(0), n = draw_rows > 0 ? draw_rows : b;
  TORCH_CHECK(first_row >= 0 && first_row + b <= n, "contrastive_view: rows [", first_row, ", ", first_row + b,
              ") outside a batch of ", n);
  constexpr int kAttempts = 10;
  // Every draw, in a fixed order and count, whatever the options: the stream is stable.
  // [n, ...] draws, of which this call's rows keep theirs.
  auto mine = [&](torch::Tensor t) { return n == b ? t : t.narrow(0, first_row, b).contiguous(); };
  torch::Tensor crop_u = mine(at::rand({n, 4 * kAttempts}, gen, torch::kFloat64).contiguous());
  torch::Tensor flip_u = mine(at::rand({n}, gen, torch::kFloat64));
  torch::Tensor jitter_u = mine(at::rand({n}, gen, torch::kFloat64));
  torch::Tensor factor_u = mine(at::rand({n, 4}, gen, torch::kFloat64));
  torch::Tensor order_u = mine(at::rand({n, 4}, gen, torch::kFloat64));
  torch::Tensor grey_u = mine(at::rand({n}, gen, torch::kFloat64));
  torch::Tensor blur_u = mine(at::rand({n}, gen, torch::kFloat64));
  torch::Tensor sigma_u = mine(at::rand({n}, gen, torch::kFloat64));

  std::vector<CropBox> boxes;
  std::vector<bool> flips;
  const double* cu = crop_u.data_ptr<double>();
  auto fu = flip_u.accessor<double, 1>();
  for (int64_t i = 0; i < b; ++i) {
    boxes.push_back(sample_crop(images.size(2), images.size(3), o.crop_scale_min, cu + 4 * kAttempts * i, kAttempts));
    flips.push_back(o.hflip && fu[i] < 0.5);
  }
  torch::Tensor x = resized_crop(images, boxes, flips, size).clamp(0.0, 1.0);

  const auto dev = x.device();
  const double s = o.jitter_strength;
  torch::Tensor jitter = (jitter_u < o.jitter_prob).to(dev);
  // brightness, contrast, saturation factors in [max(0, 1 - 0.8 s), 1 + 0.8 s]; hue shift in [-0.2 s, 0.2 s].
  torch::Tensor lo = torch::tensor({std::max(0.0, 1 - 0.8 * s), std::max(0.0, 1 - 0.8 * s), std::max(0.0, 1 - 0.8 * s),
                                    -0.2 * s}, torch::kFloat64);
  torch::Tensor hi = torch::tensor({1 + 0.8 * s, 1 + 0.8 * s, 1 + 0.8 * s, 0.2 * s}, torch::kFloat64);
  torch::Tensor factors = (lo + (hi - lo) * factor_u).to(dev);
  torch::Tensor order = order_u.argsort(/*dim=*/1, /*descending=*/false).to(dev);  // [B, 4]: the op in each slot
  if (s > 0 && o.jitter_prob > 0) {
    const int64_t ops = x.size(1) == 3 ? 4 : 2;  // grey images: brightness and contrast only
    for (int64_t slot = 0; slot < 4; ++slot)
      for (int64_t op = 0; op < ops; ++op) {
        torch::Tensor mask = jitter & order.select(1, slot).eq(op);
        torch::Tensor f = factors.select(1, op).contiguous();
        switch (op) {
          case 0: apply_where(x, mask, f, adjust_brightness); break;
          case 1: apply_where(x, mask, f, adjust_contrast); break;
          case 2: apply_where(x, mask, f, adjust_saturation); break;
          default: apply_where(x, mask, f, adjust_hue); break;
        }
      }
  }
  if (x.size(1) == 3)
    apply_where(x, (grey_u < o.grayscale_prob).to(dev), grey_u.to(dev),
                [](const torch::Tensor& v, const torch::Tensor&) { return to_grayscale(v); });
  const int64_t k = blur_kernel_size(size);
  if (k > 1)
    apply_where(x, (blur_u < o.blur_prob).to(dev), (0.1 + 1.9 * sigma_u).to(dev),
                [k](const torch::Tensor& v, const torch::Tensor& sg) { return gaussian_blur(v, sg, k); });
  return x.clamp(0.0, 1.0);
}

}  // namespace lrid

// SimCLR's augmented views (learning-rules.md §10; SimCLR v1 defaults, since
// lr-identify's own input pipeline was never released). Each view of an image:
//   1. random resized crop: area fraction U[crop_scale_min, 1], aspect ratio
//      log-uniform in [3/4, 4/3], up to 10 attempts, else the whole image;
//      resampled bicubically to size x size;
//   2. horizontal flip, p = 0.5 (folded into the crop's sampling grid);
//   3. colour jitter with p = jitter_prob: brightness (multiplicative, factor
//      U[1 - 0.8s, 1 + 0.8s]), contrast (U[1 - 0.8s, 1 + 0.8s]), saturation
//      (same) and hue (shift U[-0.2s, 0.2s] turns), in a random order per image,
//      clipped to [0, 1] after each; s = jitter_strength;
//   4. greyscale, p = grayscale_prob;
//   5. Gaussian blur, p = blur_prob: sigma U[0.1, 2.0], kernel side 2*floor(S/20)+1
//      (SimCLR: radius = (S // 10) // 2), reflect padding [assumption: SimCLR pads
//      with zeros, which darkens the border];
//   6. a final clip to [0, 1].
// Saturation, hue and greyscale act on RGB only; a one-channel image (Fashion-MNIST)
// gets crop, flip, brightness, contrast and blur: the augmentations that suit it.
// Every draw comes from the generator passed in, so a view is a pure function of
// (images, options, generator state).
#pragma once
#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <cstdint>

namespace lrid {

struct ViewOptions {
  bool enabled = false;          // two views per image (the SimCLR task)
  double crop_scale_min = 0.08;  // smallest crop area fraction
  bool hflip = true;
  double jitter_prob = 0.8, jitter_strength = 1.0;
  double grayscale_prob = 0.2;
  double blur_prob = 0.5;
};

// One view of every image: float [B, C, H, W] in [0, 1] -> [B, C, size, size] in [0, 1].
// With draw_rows > 0 the images are rows [first_row, first_row + B) of a batch
// of draw_rows: the random draws are made for that whole batch (one rank's
// share of a data-parallel batch gets the views a one-process run gives it).
torch::Tensor contrastive_view(const torch::Tensor& images, int64_t size, const ViewOptions& options,
                               at::Generator& gen, int64_t draw_rows = 0, int64_t first_row = 0);

// The pieces, exposed for tests. Boxes are (top, left, height, width) in pixels.
struct CropBox {
  double top = 0, left = 0, height = 0, width = 0;
};
// torchvision's RandomResizedCrop sampling from pre-drawn uniforms u[4 * attempts]
// (area, log-ratio, top, left per attempt); the whole image when no attempt fits.
CropBox sample_crop(int64_t height, int64_t width, double scale_min, const double* uniforms, int attempts = 10);
// Crops [B] boxes (flipped horizontally where flip[b]) and resamples them bicubically
// to size x size (grid_sample, align_corners = false): float [B, C, H, W] -> [B, C, S, S].
torch::Tensor resized_crop(const torch::Tensor& images, const std::vector<CropBox>& boxes,
                           const std::vector<bool>& flip, int64_t size);
// Per-image factors f: float [n]; images [n, C, H, W] in [0, 1]. Results are clipped to [0, 1].
torch::Tensor adjust_brightness(const torch::Tensor& x, const torch::Tensor& f);  // x * f
torch::Tensor adjust_contrast(const torch::Tensor& x, const torch::Tensor& f);    // m + f (x - m), m = mean luma
torch::Tensor adjust_saturation(const torch::Tensor& x, const torch::Tensor& f);  // g + f (x - g), g = luma (RGB)
torch::Tensor adjust_hue(const torch::Tensor& x, const torch::Tensor& shift);     // HSV hue + shift turns (RGB)
torch::Tensor to_grayscale(const torch::Tensor& x);  // luma 0.299 R + 0.587 G + 0.114 B, replicated (RGB)
// Separable Gaussian blur with per-image sigma [n] and an odd kernel side, reflect padding.
torch::Tensor gaussian_blur(const torch::Tensor& x, const torch::Tensor& sigma, int64_t kernel);
// The blur kernel side SimCLR uses for a size x size view: 2 * ((size / 10) / 2) + 1.
int64_t blur_kernel_size(int64_t size);

}  // namespace lrid

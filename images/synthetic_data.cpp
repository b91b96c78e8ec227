// A seeded synthetic classification dataset: one smooth prototype image per
// class (coarse uniform noise upsampled bilinearly, values in [0,1]), and each
// example is its class prototype plus Gaussian pixel noise, quantised to uint8.
// Train and test draw fresh noise around the same prototypes.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "images/datasets.h"
#include "core/errors.h"

namespace lrid {
namespace {

namespace F = torch::nn::functional;

// Examples of one split: labels cycle through the classes (balanced, also in
// any prefix kept by limit_split). uint8 [n, C, S, S] and int64 [n].
std::shared_ptr<DataSplit> draw_split(const torch::Tensor& prototypes, int64_t n, double noise,
                                      at::Generator& gen) {
  const int64_t k = prototypes.size(0);
  torch::Tensor labels = torch::arange(n, torch::kInt64).remainder(k);
  torch::Tensor x = prototypes.index_select(0, labels);
  if (noise > 0) x = x + noise * at::normal(0.0, 1.0, x.sizes(), gen);
  torch::Tensor images = (x.clamp(0.0, 1.0) * 255.0).round().to(torch::kUInt8);
  return make_memory_split(images, labels);
}

}  // namespace

ImageData make_synthetic(int64_t num_classes, int64_t channels, int64_t size, int64_t train_size,
                         int64_t test_size, double noise, uint64_t seed) {
  if (num_classes < 1) {
    throw ConfigError(fmt::format("synthetic data: num_classes must be >= 1, got {}", num_classes));
  }
  if (channels < 1) {
    throw ConfigError(fmt::format("synthetic data: channels must be >= 1, got {}", channels));
  }
  if (size < 1) throw ConfigError(fmt::format("synthetic data: size must be >= 1, got {}", size));
  if (train_size < 1 || test_size < 1) {
    throw ConfigError(fmt::format("synthetic data: train_size and test_size must be >= 1, got {} "
                                  "and {}",
                                  train_size, test_size));
  }
  if (!std::isfinite(noise) || noise < 0) {
    throw ConfigError(fmt::format("synthetic data: noise must be finite and >= 0, got {}", noise));
  }
  at::Generator gen = at::detail::createCPUGenerator(seed);
  // Prototypes: a coarse grid (about size/4 per side) of uniform values, upsampled
  // so neighbouring pixels correlate like natural images. [K, C, S, S] in [0, 1].
  const int64_t coarse = std::max<int64_t>(2, (size + 3) / 4);
  torch::Tensor grid = at::rand({num_classes, channels, coarse, coarse}, gen);
  torch::Tensor prototypes =
      F::interpolate(grid, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{size, size})
                               .mode(torch::kBilinear)
                               .align_corners(false));
  ImageData data;
  data.name = "synthetic";
  data.train = draw_split(prototypes, train_size, noise, gen);
  data.test = draw_split(prototypes, test_size, noise, gen);
  data.num_classes = num_classes;
  for (int64_t c = 0; c < num_classes; ++c) data.class_names.push_back(fmt::format("class_{}", c));
  return data;
}

}  // namespace lrid

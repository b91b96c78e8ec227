// BatchLoader: epoch orders, batch assembly, augmentation and normalisation.
// Randomness never comes from a global RNG: the epoch order is drawn from a
// generator seeded by mix_seed(seed, epoch) and a batch's augmentation from one
// seeded by mix_seed(seed, epoch, index), so a batch is a pure function of those.
#include "images/data_loader.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/seeding.h"

namespace lrid {
namespace {

namespace F = torch::nn::functional;

// Domain tags keep the order and augmentation streams apart for equal inputs.
constexpr uint64_t kOrderTag = 0x6f72646572ULL;    // "order"
constexpr uint64_t kAugmentTag = 0x6175676d656eULL;  // "augmen"



int64_t output_width(const AugmentOptions& o) { return o.input_width > 0 ? o.input_width : o.input_size; }

// uint8 [B, C, H, W] -> float [B, C, S, S'] in [0, 1] (bilinear, align_corners=false);
// S = input_size, S' = input_width or S.
torch::Tensor resize_to_input(const torch::Tensor& images_u8, const AugmentOptions& options) {
  if (const std::string problem = uint8_images_problem(images_u8); !problem.empty())
    throw ConfigError(fmt::format("data loader: images must be uint8 [B, C, H, W], {}", problem));
  if (!options.mean.empty() && images_u8.size(1) != static_cast<int64_t>(options.mean.size())) {
    throw ConfigError(fmt::format("data loader: images have {} channels but mean/stddev have {}",
                                  images_u8.size(1), options.mean.size()));
  }
  torch::Tensor x = images_u8.to(torch::kFloat32).div_(255.0);
  const int64_t s = options.input_size, w = output_width(options);
  if (x.size(2) != s || x.size(3) != w) {
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .size(std::vector<int64_t>{s, w})
                              .mode(torch::kBilinear)
                              .align_corners(false));
  }
  return x;
}

// Random crop after zero padding and random horizontal flip in one gather:
// output[b, c, y, x] = padded[b, c, oy_b + y, ox_b + (flip_b ? W-1-x : x)], with
// offsets drawn uniformly from [0, 2 * padding] and flips with p = 1/2 (drawn
// in that order from `gen`). [B, C, H, W] -> [B, C, H, W].
// x holds rows [first, first + B) of a batch of n: the draws are made for all n rows.
torch::Tensor augment_batch(const torch::Tensor& x, int64_t padding, bool hflip, at::Generator& gen, int64_t n,
                            int64_t first) {
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), p = padding;
  const int64_t padded_w = w + 2 * p, padded_h = h + 2 * p;
  torch::Tensor src = p > 0 ? F::pad(x, F::PadFuncOptions({p, p, p, p})) : x;  // [B, C, H + 2p, W + 2p]
  torch::Tensor offsets = p > 0 ? torch::randint(0, 2 * p + 1, {n, 2}, gen, torch::kInt64).narrow(0, first, b)
                                : torch::zeros({b, 2}, torch::kInt64);
  torch::Tensor row_ramp = torch::arange(h, torch::kInt64).unsqueeze(0);  // [1, H]
  torch::Tensor ramp = torch::arange(w, torch::kInt64).unsqueeze(0);      // [1, W]
  torch::Tensor col_ramp = ramp.expand({b, w});
  if (hflip) {
    torch::Tensor flip = (torch::rand({n}, gen).narrow(0, first, b) < 0.5).unsqueeze(1);  // bool [B, 1]
    col_ramp = torch::where(flip, (w - 1) - ramp, ramp);
  }
  torch::Tensor rows = offsets.select(1, 0).unsqueeze(1) + row_ramp;  // [B, H]
  torch::Tensor cols = offsets.select(1, 1).unsqueeze(1) + col_ramp;  // [B, W]
  torch::Tensor flat = (rows.unsqueeze(2) * padded_w + cols.unsqueeze(1)).view({b, 1, h * w});
  return src.reshape({b, c, padded_h * padded_w})
      .gather(2, flat.expand({b, c, h * w}))
      .view({b, c, h, w});
}

// (x - mean[c]) / stddev[c] on [B, C, S, S]; identity without a mean.
torch::Tensor normalise(const torch::Tensor& x, const AugmentOptions& options) {
  if (options.mean.empty()) return x;
  const auto c = static_cast<int64_t>(options.mean.size());
  torch::Tensor mean = torch::tensor(options.mean, torch::kFloat64).to(torch::kFloat32);
  torch::Tensor stddev = torch::tensor(options.stddev, torch::kFloat64).to(torch::kFloat32);
  return (x - mean.view({1, c, 1, 1})) / stddev.view({1, c, 1, 1});
}

}  // namespace

// Guarded by its mutex: batches may be requested from several threads.
struct BatchLoader::OrderCache {
  std::mutex mutex;
  int64_t epoch = -1;
  std::shared_ptr<const std::vector<int64_t>> order;
};

BatchLoader::BatchLoader(std::shared_ptr<DataSplit> split, AugmentOptions options,
                         int64_t batch_size, bool shuffle, bool augment, bool drop_last,
                         uint64_t seed)
    : order_cache_(std::make_shared<OrderCache>()),
      split_(std::move(split)),
      options_(std::move(options)),
      batch_size_(batch_size),
      shuffle_(shuffle),
      augment_(augment),
      drop_last_(drop_last),
      seed_(seed) {
  if (!split_) throw ConfigError("data loader: the split is null");
  if (split_->size() < 1) throw ConfigError("data loader: the split is empty");
  if (batch_size_ < 1) {
    throw ConfigError(fmt::format("data loader: batch_size must be >= 1, got {}", batch_size_));
  }
  if (drop_last_ && batch_size_ > split_->size()) {
    throw ConfigError(fmt::format(
        "data loader: batch_size {} exceeds the split's {} examples with drop_last (no batch)",
        batch_size_, split_->size()));
  }
  if (options_.input_size < 1) {
    throw ConfigError(
        fmt::format("data loader: input_size must be >= 1, got {}", options_.input_size));
  }
  if (options_.input_width < 0)
    throw ConfigError(fmt::format("data loader: input_width must be >= 0 (0: square), got {}", options_.input_width));
  // SimCLR's views (random resized crops, flips, colour jitter) are square image augmentations.
  if (options_.views.enabled && output_width(options_) != options_.input_size)
    throw ConfigError(fmt::format("data loader: SimCLR views need square inputs, got {} x {}", options_.input_size,
                                  output_width(options_)));
  if (options_.crop_padding < 0) {
    throw ConfigError(
        fmt::format("data loader: crop_padding must be >= 0, got {}", options_.crop_padding));
  }
  const auto channels = static_cast<size_t>(split_->channels());
  if (options_.mean.empty() != options_.stddev.empty()) {
    throw ConfigError(fmt::format("data loader: mean has {} values but stddev has {}",
                                  options_.mean.size(), options_.stddev.size()));
  }
  if (!options_.mean.empty() &&
      (options_.mean.size() != channels || options_.stddev.size() != channels)) {
    throw ConfigError(fmt::format(
        "data loader: mean and stddev need one value per channel ({}), got {} and {}", channels,
        options_.mean.size(), options_.stddev.size()));
  }
  for (size_t c = 0; c < options_.stddev.size(); ++c) {
    if (!std::isfinite(options_.mean[c]) || !std::isfinite(options_.stddev[c]) ||
        options_.stddev[c] <= 0) {
      throw ConfigError(fmt::format(
          "data loader: channel {} needs a finite mean and a stddev > 0, got {} and {}", c,
          options_.mean[c], options_.stddev[c]));
    }
  }
}

int64_t BatchLoader::batches_per_epoch() const {
  const int64_t n = split_->size();
  return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

std::vector<int64_t> BatchLoader::order(int64_t epoch) const {
  const int64_t n = split_->size();
  std::vector<int64_t> result(static_cast<size_t>(n));
  if (!shuffle_) {
    for (int64_t i = 0; i < n; ++i) result[static_cast<size_t>(i)] = i;
    return result;
  }
  at::Generator gen =
      at::detail::createCPUGenerator(mix_seed(mix_seed(seed_, kOrderTag), static_cast<uint64_t>(epoch)));
  torch::Tensor perm = torch::randperm(n, gen, torch::kInt64);
  std::copy_n(perm.data_ptr<int64_t>(), n, result.begin());
  return result;
}

std::shared_ptr<const std::vector<int64_t>> BatchLoader::cached_order(int64_t epoch) const {
  std::lock_guard<std::mutex> lock(order_cache_->mutex);
  if (!order_cache_->order || order_cache_->epoch != epoch) {
    order_cache_->order = std::make_shared<const std::vector<int64_t>>(order(epoch));
    order_cache_->epoch = epoch;
  }
  return order_cache_->order;
}

Batch BatchLoader::batch(int64_t epoch, int64_t index, BatchShard shard) const {
  // Caller bugs, not configuration: std::out_of_range like the splits' indices.
  if (epoch < 0) {
    throw std::out_of_range(fmt::format("data loader: epoch must be >= 0, got {}", epoch));
  }
  if (index < 0 || index >= batches_per_epoch()) {
    throw std::out_of_range(fmt::format("data loader: batch index {} is outside [0, {})", index,
                                  batches_per_epoch()));
  }
  if (shard.count < 1 || shard.index < 0 || shard.index >= shard.count)
    throw std::out_of_range(fmt::format("data loader: shard {} of {}", shard.index, shard.count));
  const std::shared_ptr<const std::vector<int64_t>> all = cached_order(epoch);
  const int64_t begin = index * batch_size_;
  const int64_t end = std::min<int64_t>(begin + batch_size_, split_->size());
  // This shard's rows [lo, hi) of the n rows of the global batch.
  const int64_t n = end - begin, lo = shard.index * n / shard.count, hi = (shard.index + 1) * n / shard.count;
  Batch out;
  out.indices.assign(all->begin() + begin + lo, all->begin() + begin + hi);
  torch::Tensor idx = torch::tensor(out.indices, torch::kInt64);
  out.labels = split_->labels().index_select(0, idx).to(torch::kInt64);

  if (options_.views.enabled) {
    // Two SimCLR views from the stored-size images; one generator serves both, view 1 first.
    torch::Tensor raw = split_->images(out.indices);
    resize_to_input(raw.slice(0, 0, 1), options_);  // validates dtype, rank and channels
    raw = raw.to(torch::kFloat32).div_(255.0);
    const uint64_t view_seed = mix_seed(mix_seed(mix_seed(seed_, kAugmentTag), static_cast<uint64_t>(augment_ ? epoch : 0)),
                                        static_cast<uint64_t>(index));
    at::Generator gen = at::detail::createCPUGenerator(view_seed);
    torch::Tensor v1 = contrastive_view(raw, options_.input_size, options_.views, gen, n, lo);
    torch::Tensor v2 = contrastive_view(raw, options_.input_size, options_.views, gen, n, lo);
    out.images = normalise(torch::cat({v1, v2}, 0), options_);
    out.labels = torch::cat({out.labels, out.labels}, 0);
    return out;
  }
  torch::Tensor x = resize_to_input(split_->images(out.indices), options_);  // [B, C, S, W]
  if (augment_) {
    const uint64_t aug_seed =
        mix_seed(mix_seed(mix_seed(seed_, kAugmentTag), static_cast<uint64_t>(epoch)), static_cast<uint64_t>(index));
    at::Generator gen = at::detail::createCPUGenerator(aug_seed);
    if (options_.crop_padding > 0 || options_.hflip) {
      x = augment_batch(x, options_.crop_padding, options_.hflip, gen, n, lo);
    }
  }
  out.images = normalise(x, options_);
  return out;
}

torch::Tensor BatchLoader::preprocess(const torch::Tensor& images_u8) const {
  return normalise(resize_to_input(images_u8, options_), options_);
}

}  // namespace lrid

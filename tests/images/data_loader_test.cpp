// BatchLoader: determinism per (seed, epoch, index), epoch coverage,
// drop_last, normalisation, and that flips and padded crops are exact.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "images/data_loader.h"
#include "images/datasets.h"
#include "core/errors.h"

namespace lrid {
namespace {

AugmentOptions augment_options_for(int64_t input_size, int64_t crop_padding = 0, bool hflip = false,
                       std::vector<double> mean = {}, std::vector<double> stddev = {}) {
  AugmentOptions o;
  o.input_size = input_size;
  o.crop_padding = crop_padding;
  o.hflip = hflip;
  o.mean = std::move(mean);
  o.stddev = std::move(stddev);
  return o;
}

// n copies of one asymmetric image (value 3*y + 7*x + 20*c + 1, distinct per
// pixel, so no crop or flip maps it onto itself), labels i % 3.
std::shared_ptr<DataSplit> asymmetric_split(int64_t n, int64_t channels, int64_t size) {
  torch::Tensor c = torch::arange(channels).view({channels, 1, 1});
  torch::Tensor y = torch::arange(size).view({1, size, 1});
  torch::Tensor x = torch::arange(size).view({1, 1, size});
  torch::Tensor img = (3 * y + 7 * x + 20 * c + 1).to(torch::kUInt8);
  return make_memory_split(img.unsqueeze(0).expand({n, channels, size, size}).contiguous(),
                           torch::arange(n).remainder(3));
}

TEST(BatchLoader, BatchIsPureFunctionOfSeedEpochIndex) {
  ImageData data = make_synthetic(4, 3, 8, 50, 10, 0.2, 1);
  AugmentOptions opt = augment_options_for(8, 2, true, {0.5, 0.5, 0.5}, {0.25, 0.25, 0.25});
  BatchLoader a(data.train, opt, 8, true, true, false, 42);
  BatchLoader b(data.train, opt, 8, true, true, false, 42);
  a.batch(0, 0);  // warm a's order cache with another epoch first
  Batch x = a.batch(3, 2);
  Batch y = b.batch(3, 2);
  EXPECT_EQ(x.indices, y.indices);
  EXPECT_TRUE(torch::equal(x.images, y.images));
  EXPECT_TRUE(torch::equal(x.labels, y.labels));
  EXPECT_TRUE(torch::equal(a.batch(3, 2).images, x.images));
  EXPECT_NE(a.batch(4, 2).indices, x.indices);  // another epoch, another order
  BatchLoader c(data.train, opt, 8, true, true, false, 43);
  EXPECT_NE(c.batch(3, 2).indices, x.indices);  // another seed, another order
  // Labels follow the indices.
  for (size_t i = 0; i < x.indices.size(); ++i) {
    EXPECT_EQ(x.labels[static_cast<int64_t>(i)].item<int64_t>(),
              data.train->labels()[x.indices[i]].item<int64_t>());
  }
}

// Data parallel: the ranks' shards of a batch, stacked, are the one-process
// batch, augmentation included (crop and flip, and SimCLR's two views).
TEST(BatchLoader, ShardsOfABatchStackToTheWholeBatch) {
  ImageData data = make_synthetic(4, 3, 8, 50, 10, 0.2, 1);
  AugmentOptions crop = augment_options_for(8, 2, true, {0.5, 0.5, 0.5}, {0.25, 0.25, 0.25});
  AugmentOptions views = crop;
  views.views.enabled = true;
  for (const AugmentOptions& opt : {crop, views}) {
    BatchLoader loader(data.train, opt, 12, true, true, true, 42);
    const Batch whole = loader.batch(2, 1);
    for (int64_t count : {2, 3, 4}) {
      std::vector<torch::Tensor> images, second_views, labels;
      std::vector<int64_t> indices;
      for (int64_t r = 0; r < count; ++r) {
        Batch part = loader.batch(2, 1, BatchShard{r, count});
        indices.insert(indices.end(), part.indices.begin(), part.indices.end());
        if (opt.views.enabled) {  // [view 1 of the shard; view 2 of the shard]
          const int64_t n = part.images.size(0) / 2;
          images.push_back(part.images.narrow(0, 0, n));
          second_views.push_back(part.images.narrow(0, n, n));
        } else {
          images.push_back(part.images);
        }
        labels.push_back(part.labels.narrow(0, 0, static_cast<int64_t>(part.indices.size())));
      }
      EXPECT_EQ(indices, whole.indices) << count;
      const int64_t n = static_cast<int64_t>(whole.indices.size());
      EXPECT_TRUE(torch::equal(torch::cat(images), whole.images.narrow(0, 0, n))) << count;
      EXPECT_TRUE(torch::equal(torch::cat(labels), whole.labels.narrow(0, 0, n))) << count;
      if (opt.views.enabled) EXPECT_TRUE(torch::equal(torch::cat(second_views), whole.images.narrow(0, n, n)));
    }
  }
  EXPECT_THROW(BatchLoader(data.train, crop, 12, true, true, true, 42).batch(0, 0, BatchShard{2, 2}),
               std::out_of_range);
}

TEST(BatchLoader, EveryIndexOncePerEpoch) {
  ImageData data = make_synthetic(2, 1, 4, 50, 10, 0.1, 2);
  BatchLoader loader(data.train, augment_options_for(4), 8, true, false, false, 9);
  ASSERT_EQ(loader.batches_per_epoch(), 7);
  std::vector<int64_t> seen;
  for (int64_t i = 0; i < loader.batches_per_epoch(); ++i) {
    Batch b = loader.batch(1, i);
    EXPECT_EQ(b.images.size(0), i < 6 ? 8 : 2);
    EXPECT_EQ(b.labels.size(0), b.images.size(0));
    seen.insert(seen.end(), b.indices.begin(), b.indices.end());
  }
  std::vector<int64_t> sorted = seen;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> expected(50);
  for (int64_t i = 0; i < 50; ++i) expected[static_cast<size_t>(i)] = i;
  EXPECT_EQ(sorted, expected);
  EXPECT_NE(seen, expected);  // shuffled
  EXPECT_THROW(loader.batch(1, 7), std::out_of_range);
}

TEST(BatchLoader, DropLastAndIdentityOrder) {
  ImageData data = make_synthetic(2, 1, 4, 50, 10, 0.1, 2);
  BatchLoader loader(data.train, augment_options_for(4), 8, false, false, true, 9);
  ASSERT_EQ(loader.batches_per_epoch(), 6);
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(loader.batch(0, i).images.size(0), 8);
  EXPECT_EQ(loader.batch(5, 1).indices, (std::vector<int64_t>{8, 9, 10, 11, 12, 13, 14, 15}));
}

TEST(BatchLoader, NormalisesConstantImage) {
  // value 51 / 255 = 0.2; channel c: (0.2 - mean[c]) / stddev[c].
  torch::Tensor img = torch::full({4, 2, 5, 5}, 51, torch::kUInt8);
  auto split = make_memory_split(img, torch::zeros({4}, torch::kInt64));
  BatchLoader loader(split, augment_options_for(5, 0, false, {0.1, 0.3}, {0.5, 0.2}), 4, false, false,
                     false, 0);
  Batch b = loader.batch(0, 0);
  EXPECT_EQ(b.images.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::allclose(b.images.select(1, 0), torch::full({4, 5, 5}, 0.2f), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(b.images.select(1, 1), torch::full({4, 5, 5}, -0.5f), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(loader.preprocess(img), b.images));
}

TEST(BatchLoader, HorizontalFlipIsExactMirror) {
  auto split = asymmetric_split(64, 2, 6);
  BatchLoader loader(split, augment_options_for(6, 0, true), 64, false, true, false, 5);
  torch::Tensor plain = split->images({0}).to(torch::kFloat32) / 255.0;  // [1, 2, 6, 6]
  torch::Tensor mirror = plain.flip({3});
  Batch b = loader.batch(0, 0);
  int flipped = 0;
  for (int64_t i = 0; i < 64; ++i) {
    torch::Tensor out = b.images[i].unsqueeze(0);
    bool is_plain = torch::equal(out, plain), is_mirror = torch::equal(out, mirror);
    EXPECT_TRUE(is_plain || is_mirror) << "image " << i;
    flipped += is_mirror;
  }
  EXPECT_GT(flipped, 10);  // p = 0.5 over 64 images
  EXPECT_LT(flipped, 54);
}

TEST(BatchLoader, PaddedCropIsShiftedWindow) {
  const int64_t s = 6, p = 2;
  auto split = asymmetric_split(32, 1, s);
  BatchLoader loader(split, augment_options_for(s, p, false), 32, false, true, false, 8);
  torch::Tensor img = split->images({0}).to(torch::kFloat32) / 255.0;
  torch::Tensor padded = torch::nn::functional::pad(img, torch::nn::functional::PadFuncOptions({p, p, p, p}));
  Batch b = loader.batch(0, 0);
  std::set<std::pair<int64_t, int64_t>> offsets;
  for (int64_t i = 0; i < 32; ++i) {
    bool found = false;
    for (int64_t dy = 0; dy <= 2 * p && !found; ++dy) {
      for (int64_t dx = 0; dx <= 2 * p && !found; ++dx) {
        torch::Tensor window = padded.slice(2, dy, dy + s).slice(3, dx, dx + s);
        if (torch::equal(b.images[i].unsqueeze(0), window)) {
          found = true;
          offsets.insert({dy, dx});
        }
      }
    }
    EXPECT_TRUE(found) << "image " << i << " is no window of the padded image";
  }
  EXPECT_GT(offsets.size(), 5u);  // offsets vary per image
}

TEST(BatchLoader, ResizesToInputSize) {
  ImageData data = make_synthetic(2, 3, 28, 10, 4, 0.1, 2);
  BatchLoader loader(data.train, augment_options_for(32, 4, true), 4, true, true, false, 1);
  EXPECT_EQ(loader.batch(0, 0).images.sizes(), (std::vector<int64_t>{4, 3, 32, 32}));
  EXPECT_EQ(loader.preprocess(data.test->images({0, 1, 2})).sizes(),
            (std::vector<int64_t>{3, 3, 32, 32}));
  // A constant image stays constant through bilinear resizing.
  auto flat = make_memory_split(torch::full({1, 1, 5, 7}, 102, torch::kUInt8),
                                torch::zeros({1}, torch::kInt64));
  BatchLoader small(flat, augment_options_for(3), 1, false, false, false, 0);
  torch::Tensor out = small.batch(0, 0).images;
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{1, 1, 3, 3}));
  EXPECT_TRUE(torch::allclose(out, torch::full({1, 1, 3, 3}, 0.4f)));
}

// Cochleagrams are 50 x 200: inputs of input_size x input_width, resized,
// padded-cropped and flipped as square ones are.
TEST(BatchLoader, NonSquareInputsAreResizedCroppedAndFlippedInBothAxes) {
  torch::Tensor y = torch::arange(5).view({1, 1, 5, 1}), x = torch::arange(9).view({1, 1, 1, 9});
  auto split = make_memory_split((10 * y + x + 1).to(torch::kUInt8).expand({16, 1, 5, 9}).contiguous(),
                                 torch::arange(16).remainder(2));
  AugmentOptions o = augment_options_for(5, 1, true);
  o.input_width = 9;  // the stored size: no resizing
  BatchLoader loader(split, o, 16, false, true, false, 3);
  const torch::Tensor img = split->images({0}).to(torch::kFloat32) / 255.0;  // [1, 1, 5, 9]
  const torch::Tensor padded = torch::nn::functional::pad(img, torch::nn::functional::PadFuncOptions({1, 1, 1, 1}));
  const Batch b = loader.batch(0, 0);
  ASSERT_EQ(b.images.sizes(), (std::vector<int64_t>{16, 1, 5, 9}));
  std::set<std::pair<int64_t, int64_t>> offsets;
  int flipped = 0;
  for (int64_t i = 0; i < 16; ++i) {
    bool found = false;
    for (int64_t dy = 0; dy <= 2 && !found; ++dy)
      for (int64_t dx = 0; dx <= 2 && !found; ++dx)
        for (bool flip : {false, true}) {
          torch::Tensor window = padded.slice(2, dy, dy + 5).slice(3, dx, dx + 9);
          if (flip) window = window.flip(3);
          if (!found && torch::equal(b.images[i].unsqueeze(0), window)) {
            found = true;
            offsets.insert({dy, dx});
            flipped += flip;
          }
        }
    EXPECT_TRUE(found) << "image " << i << " is no (flipped) window of the padded image";
  }
  EXPECT_GT(offsets.size(), 3u);
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, 16);
  // Resizing to another H x W, and the SimCLR views refuse non-square inputs.
  o = augment_options_for(8);
  o.input_width = 20;
  EXPECT_EQ(BatchLoader(split, o, 4, false, false, false, 0).batch(0, 0).images.sizes(),
            (std::vector<int64_t>{4, 1, 8, 20}));
  o.views.enabled = true;
  EXPECT_THROW(BatchLoader(split, o, 4, false, false, false, 0), ConfigError);
  o.views.enabled = false;
  o.input_width = -1;
  EXPECT_THROW(BatchLoader(split, o, 4, false, false, false, 0), ConfigError);
}

TEST(BatchLoader, RejectsBadOptions) {
  ImageData data = make_synthetic(2, 3, 4, 10, 4, 0.1, 2);
  EXPECT_THROW(BatchLoader(data.train, augment_options_for(4), 0, true, true, false, 0), ConfigError);
  EXPECT_THROW(BatchLoader(data.train, augment_options_for(0), 2, true, true, false, 0), ConfigError);
  EXPECT_THROW(BatchLoader(data.train, augment_options_for(4, -1), 2, true, true, false, 0),
               ConfigError);
  EXPECT_THROW(BatchLoader(data.train, augment_options_for(4, 0, false, {0.5}, {0.5}), 2, true, true,
                           false, 0),
               ConfigError);
  EXPECT_THROW(BatchLoader(data.train, augment_options_for(4, 0, false, {0.5, 0.5, 0.5}, {}), 2, true,
                           true, false, 0),
               ConfigError);
  EXPECT_THROW(BatchLoader(data.train, augment_options_for(4, 0, false, {0.5, 0.5, 0.5}, {1, 0, 1}), 2,
                           true, true, false, 0),
               ConfigError);
  EXPECT_THROW(BatchLoader(data.train, augment_options_for(4), 11, true, true, true, 0), ConfigError);
  EXPECT_THROW(BatchLoader(nullptr, augment_options_for(4), 2, true, true, false, 0), ConfigError);
}

}  // namespace
}  // namespace lrid

// Batches from a DataSplit: deterministic shuffling from a data seed, standard
// augmentation (random crop with zero padding, horizontal flip), resizing to
// the configured input size, and per-channel normalisation.
//
// Every batch is a pure function of (seed, epoch, batch index): a resumed run
// sees exactly the batches an uninterrupted run would.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "images/contrastive_views.h"
#include "images/datasets.h"

namespace lrid {

struct AugmentOptions {
  int64_t input_size = 32;      // output images are input_size x input_size ...
  int64_t input_width = 0;      // ... or input_size x input_width when > 0 (cochleagrams)
  int64_t crop_padding = 0;     // random crop after zero padding by this many pixels (0: off)
  bool hflip = false;           // random horizontal flip with p = 0.5
  std::vector<double> mean;     // per channel, on [0,1] pixel values; empty: no normalisation
  std::vector<double> stddev;
  // SimCLR: every batch holds two augmented views of each image (view 1 first),
  // in place of the crop/flip above; also on splits that are not augmented
  // (evaluation), whose views are then those of epoch 0.
  ViewOptions views;
};

// One rank's share of every batch in data-parallel training: rows
// [index * B / count, (index + 1) * B / count) of the global batch of B, with
// exactly the augmentation those rows get in a one-process run (the random
// draws are made for the whole batch and the shard keeps its rows).
struct BatchShard {
  int64_t index = 0, count = 1;
};

struct Batch {
  torch::Tensor images;  // float32 [B, C, input_size, width]; [2B, ...] with views
  torch::Tensor labels;  // int64 [B]; [2B] with views (the labels repeated)
  std::vector<int64_t> indices;  // dataset indices of the batch
};

class BatchLoader {
 public:
  // shuffle/augment: training split. drop_last drops the final short batch.
  BatchLoader(std::shared_ptr<DataSplit> split, AugmentOptions options, int64_t batch_size,
              bool shuffle, bool augment, bool drop_last, uint64_t seed);
  int64_t batches_per_epoch() const;
  int64_t batch_size() const { return batch_size_; }
  Batch batch(int64_t epoch, int64_t index, BatchShard shard = {}) const;
  const DataSplit& split() const { return *split_; }

  // Converts uint8 images [B,C,H,W] to normalised float [B,C,S,W'] without augmentation.
  torch::Tensor preprocess(const torch::Tensor& images_u8) const;

 private:
  std::vector<int64_t> order(int64_t epoch) const;
  // The last epoch's order, shared by its batches (a permutation of a large
  // split costs milliseconds); copies of the loader share it.
  struct OrderCache;
  std::shared_ptr<const std::vector<int64_t>> cached_order(int64_t epoch) const;
  std::shared_ptr<OrderCache> order_cache_;
  std::shared_ptr<DataSplit> split_;
  AugmentOptions options_;
  int64_t batch_size_;
  bool shuffle_, augment_, drop_last_;
  uint64_t seed_;
};

}  // namespace lrid

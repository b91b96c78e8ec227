// Train/test splits and inner folds of the evaluation protocol (science.md §6.1, §6.3).
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace lrid {

struct Split {
  std::vector<int64_t> train, test;  // dataset row indices
};

// Category-balanced repeated random subsampling (§6.1). labels: class id per
// row; train_pool / test_pool: candidate rows (both default to every row).
// With m the smallest per-class count in the pools, n_test = floor(0.25 m) and
// n_train = m - n_test per class, unless given (>= 0). One seeded generator
// serves all splits: per split, per class in id order, n_test test rows are
// drawn from the test pool, removed from the train pool, then n_train train
// rows drawn from what is left. Throws DataError naming the class when a class
// has too few rows (fewer than min_train training rows or no test row).
std::vector<Split> balanced_splits(const std::vector<int64_t>& labels, int64_t num_classes, int64_t num_splits,
                                   uint64_t seed, const std::vector<int64_t>& train_pool = {},
                                   const std::vector<int64_t>& test_pool = {}, int64_t n_train = -1,
                                   int64_t n_test = -1, int64_t min_train = 5,
                                   const std::vector<std::string>& class_names = {});

// k distinct elements of `from`, uniformly, in draw order: a partial
// Fisher-Yates shuffle of a copy (the draw every split of this layer uses).
std::vector<int64_t> draw_without_replacement(std::vector<int64_t> from, int64_t k, std::mt19937_64& rng);

// Stratified k-fold without shuffling (§6.3): within each class, the rows (in
// the order given) go to folds in contiguous blocks, the first (count mod k)
// folds taking one extra row. Returns the fold id (0..k-1) of each position.
std::vector<int64_t> stratified_folds(const std::vector<int64_t>& labels, int64_t k);

}  // namespace lrid

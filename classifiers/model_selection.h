// Stages search -> fit -> score of the evaluation protocol (science.md §6.2,
// §6.3), for one train/test split: normalise with the training rows'
// statistics, choose a configuration by stratified inner cross-validation,
// refit it on the training rows and score it on the test rows.
#pragma once
#include <torch/types.h>

#include <functional>
#include <memory>
#include <vector>

#include "classifiers/features.h"
#include "classifiers/grid.h"
#include "classifiers/protocol.h"
#include "classifiers/trajectory_model.h"

namespace lrid {

// One split's rows, z-scored with its training rows' statistics (the one-hot block is not).
struct SplitData {
  torch::Tensor x_train, onehot_train, y_train;  // float64 [n_train, M·T'], [n_train, 3], int64 [n_train]
  torch::Tensor x_test, onehot_test, y_test;     // the same for the test rows
  Normalizer norm;                               // fitted on the training rows
  GroupBy group_by = GroupBy::kRow;              // how the inner folds are drawn
  std::vector<int64_t> groups_train;             // group id of each training row
};
SplitData split_data(const ProtocolData& p, const Split& split);

// The result of the inner search: the chosen index of the grid and the mean
// validation accuracy of each configuration (NaN: skipped as invalid).
struct GridSearch {
  int64_t best = 0;
  std::vector<double> cv_scores;
};

// Search: stratified o.folds-fold cross-validation (without shuffling; by
// group unless the split is by row: grouped_folds, with at most o.folds folds) of every
// configuration of `grid` on the split's training rows; the first configuration
// with the best mean validation accuracy wins. The fold model of configuration c
// and fold f of split `split` is seeded mix_seed(o.seed, split·1000003 + c·101 + f);
// a configuration whose model throws ConfigError is skipped (§6.3). A grid of one
// configuration is not searched (no folds, score NaN; it fails at the refit if it
// cannot fit). When none
// fits, `grid` is replaced by the classifier's fallback grid (registry.h) and
// searched instead; ConfigError when there is none. tick() runs after every fold model.
GridSearch search_grid(const SplitData& d, const ProtocolOptions& o, int64_t split, const ProtocolData& p,
                       std::vector<GridConfig>& grid, const std::function<void()>& tick);

// Fit: configuration `config` refit on the split's training rows, seeded mix_seed(o.seed, split).
std::unique_ptr<TrajectoryModel> fit_chosen(const SplitData& d, const ProtocolOptions& o, int64_t split,
                                            const ProtocolData& p, const GridConfig& config);

// Score: the model's test predictions, test and train confusion matrices, test
// accuracy and (random forest) per-tree importances, into `res`.
void score_split(const TrajectoryModel& model, const SplitData& d, int64_t num_classes, SplitResult& res);

}  // namespace lrid

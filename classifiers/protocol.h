// The evaluation protocol (science.md §6): observables selected from the
// dataset (non-finite values fail loudly unless dropped, with counts per rule),
// optional statistic-level noise (§4.6, before normalisation), ten
// category-balanced train/test splits, z-scoring with training statistics,
// stratified 5-fold grid search on the training split, refit, test metrics.
// run_protocol runs the stages select -> split (this file) -> search -> fit ->
// score (model_selection.h), then aggregates over the splits. Results go to a
// directory as JSON and tidy CSV (write_results, in protocol_files.cpp).
#pragma once
#include <torch/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "classifiers/grid.h"
#include "classifiers/grouped_splits.h"
#include "classifiers/metrics.h"
#include "classifiers/splits.h"
#include "trajectories/trajectory_dataset.h"

namespace lrid {

struct ProtocolOptions {
  std::string classifier = "rf";   // a name of classifier_registry()
  std::string observables = "all";  // all | all45 | weight | act | grad | name,name,...
  std::string grid = "paper";       // paper | fast
  std::string group_by = "seed";    // row | run | seed: what a split keeps whole (§6.9, grouped_splits.h)
  std::map<std::string, std::vector<std::string>> set;  // grid axis overrides
  int64_t splits = 10;
  int64_t folds = 5;
  uint64_t seed = 0;
  int64_t n_jobs = 0;               // random-forest threads (0: all cores)
  bool drop_nonfinite = false;
  double stat_noise_var = 0.0;      // §4.6: Gaussian noise of this variance on the selected features
  std::vector<int64_t> time_points; // subset of time indices (empty: all)
  std::vector<int64_t> train_pool, test_pool;  // row pools (empty: every row)
  int64_t n_train = -1, n_test = -1;           // rows per rule in each split (-1: the §6.1 default)
  bool progress = true;
  std::string label;                // shown in progress output

  // ConfigError naming the field: splits >= 1, folds >= 2, stat_noise_var >= 0,
  // a registered classifier, grid paper or fast, group_by row, run or seed.
  void validate() const;
};

struct SplitResult {
  std::vector<int64_t> train, test;   // dataset rows (after any dropped rows: indices into the original dataset)
  GridConfig chosen;
  std::vector<double> cv_scores;      // mean validation accuracy per grid configuration (NaN: skipped)
  Confusion test_confusion, train_confusion;
  double test_accuracy = 0;
  std::vector<int64_t> predictions;   // predicted class of each test row
  torch::Tensor norm_mean, norm_std;
  torch::Tensor tree_importances;     // [n_trees, features] for rf
};

struct ProtocolResult {
  ProtocolOptions options;
  std::vector<std::string> class_names, observables, feature_names;
  std::vector<GridConfig> grid;
  std::vector<SplitResult> splits;
  std::map<std::string, int64_t> dropped_rows;  // per rule, with drop_nonfinite
  double accuracy_mean = 0, accuracy_sem = 0;    // over splits
  double mean_accuracy = 0;                      // of the split-averaged confusion matrix
  Confusion mean_confusion;
  std::vector<double> balanced_accuracy, d_prime;  // of the averaged matrix, per class
  double wall_time_s = 0;
  torch::Tensor feature_importance() const;       // mean over splits and trees [features] (rf)
};

// Validates the options, then runs every stage; the same options and data give the same result.
ProtocolResult run_protocol(const TrajectoryDataset& data, const ProtocolOptions& options);

// results.json (everything), metrics.csv (tidy: split,metric,class,value),
// confusion.csv (split,true,predicted,count), cv.csv (split,config,score),
// predictions.csv (split,row,run_id,layer,true,predicted) and, for the random
// forest, importance.csv (feature,observable,time,importance: mean over
// splits) and tree_importances.h5 (per split [n_trees, features]).
// tree_importances = false leaves out tree_importances.h5 (it can be large).
void write_results(const ProtocolResult& result, const TrajectoryDataset& data, const std::filesystem::path& dir,
                   bool tree_importances = true);

// Class ids from labels: the rules in the order adam, sgdm, ia (information),
// fa (feedback), sa, aa, wm, kp (science.md §1), then any other label, sorted.
std::vector<std::string> class_names_of(const std::vector<std::string>& labels);
// The index of each label in `class_names` (every label must be there).
std::vector<int64_t> class_ids(const std::vector<std::string>& labels, const std::vector<std::string>& class_names);

// ---- Stages select and split.

// The rows and features a protocol run classifies.
struct ProtocolData {
  std::vector<int64_t> keep;    // original dataset row of each kept row
  std::vector<int64_t> labels;  // class id of each kept row
  torch::Tensor y;              // int64 [N'] (labels)
  torch::Tensor continuous;     // float64 [N', M·T'] observable-major (features.h), with any statistic noise
  torch::Tensor onehot;         // float64 [N', 3]
  int64_t time_points = 0;      // T'
  int64_t num_classes = 0;
  GroupBy group_by = GroupBy::kRow;
  std::vector<int64_t> groups;  // group id of each kept row (row: the row itself)
};

// Select: fills r's class names, observables, feature names, grid and dropped
// rows. Rows with non-finite selected values fail (DataError) unless
// o.drop_nonfinite drops them (§3.8); with o.stat_noise_var > 0, Gaussian noise
// from generator mix_seed(o.seed, 0x5747) is added to the continuous block.
ProtocolData select_protocol_data(const TrajectoryDataset& data, const ProtocolOptions& o, ProtocolResult& r);
// Split: o.splits category-balanced splits of the kept rows (seed o.seed): by
// row (§6.1, balanced_splits) or by group (§6.9, grouped_splits), with
// o.train_pool / o.test_pool (original rows) mapped to kept rows.
std::vector<Split> protocol_splits(const ProtocolData& p, const ProtocolOptions& o,
                                   const std::vector<std::string>& class_names);
// Accuracy over the splits (mean, s.e.m.) and the metrics of the split-averaged confusion matrix.
void aggregate_splits(ProtocolResult& r);

}  // namespace lrid

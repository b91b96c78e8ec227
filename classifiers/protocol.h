// The evaluation protocol (science.md §6): observables selected from the
// dataset (non-finite values fail loudly unless dropped, with counts per rule),
// optional statistic-level noise (§4.6, before normalisation), ten
// category-balanced train/test splits, z-scoring with training statistics,
// stratified 5-fold grid search on the training split, refit, test metrics.
// Results go to a directory as JSON and tidy CSV (write_results).
#pragma once
#include <torch/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "classifiers/grid.h"
#include "classifiers/metrics.h"
#include "trajectories/trajectory_dataset.h"

namespace lrid {

struct ProtocolOptions {
  std::string classifier = "rf";   // a name of classifier_registry()
  std::string observables = "all";  // all | all45 | weight | act | grad | name,name,...
  std::string grid = "paper";       // paper | fast
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

}  // namespace lrid

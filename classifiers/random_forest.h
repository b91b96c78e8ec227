// Random forest classifier (spec §6.4), behaving like scikit-learn's
// RandomForestClassifier: Gini criterion, bootstrap draws used as integer
// sample weights, trees grown to purity by default, max_features candidates
// drawn per node (sklearn's BestSplitter: thresholds at midpoints between
// consecutive distinct values; more features are drawn while every drawn one
// is constant in the node), soft voting, and per-tree mean-decrease-in-impurity
// importances normalised to sum 1.
//
// Written by hand: no packaged C++ library does this here (ranger is not in
// Debian, and C++ forest libraries differ from sklearn in split search and in
// reporting unnormalised importances).
//
// Trees are flat arrays; they are built in parallel with std::thread, each
// tree from its own generator seeded with mix_seed(seed, tree index), so a
// forest depends on the seed only, never on n_jobs.
//
// Files: random_forest.cpp (options, fit, prediction, importances),
// random_forest_builder.h/.cpp (growing one tree), random_forest_archive.cpp (save/load).
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lrid {

struct RandomForestOptions {
  int64_t n_estimators = 100;
  std::string max_features = "sqrt";  // sqrt | log2 | all (sqrt/log2: max(1, int(f(d))) as sklearn)
  int64_t max_depth = -1;             // -1: unlimited
  int64_t min_samples_split = 2;
  int64_t min_samples_leaf = 1;
  bool bootstrap = true;
  uint64_t seed = 0;
  int64_t n_jobs = 0;  // threads building trees; 0 = std::thread::hardware_concurrency()
  void validate() const;  // throws ConfigError naming the field and value
};

// One fitted tree. Node i is a leaf when feature[i] < 0; then left[i] is its
// row in `leaf_values` ([num_leaves, num_classes] weighted class frequencies).
// Otherwise samples with x[feature] <= threshold go to left[i], others to right[i].
struct ForestTree {
  std::vector<int32_t> feature;
  std::vector<double> threshold;
  std::vector<int32_t> left;
  std::vector<int32_t> right;
  std::vector<double> leaf_values;
};

class RandomForest {
 public:
  explicit RandomForest(RandomForestOptions options = {});

  // x: float64 [n, d] CPU, y: int64 [n] with values in [0, num_classes).
  // Throws DataError on NaN/Inf in x or labels out of range.
  void fit(const torch::Tensor& x, const torch::Tensor& y, int64_t num_classes);
  torch::Tensor predict_proba(const torch::Tensor& x) const;  // float64 [n, num_classes]
  torch::Tensor predict(const torch::Tensor& x) const;        // int64 [n], argmax of predict_proba
  torch::Tensor feature_importances() const;  // float64 [d], like sklearn's feature_importances_
  torch::Tensor tree_importances() const;     // float64 [n_trees, d], rows sum to 1 (or 0)

  // Trees as plain tensors (no pickles); load restores options too.
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

  const RandomForestOptions& options() const { return options_; }
  int64_t num_features() const { return num_features_; }
  int64_t num_classes() const { return num_classes_; }
  int64_t num_trees() const { return static_cast<int64_t>(trees_.size()); }
  const std::vector<ForestTree>& trees() const { return trees_; }

 private:
  void check_fitted(const char* what) const;
  int64_t threads() const;

  RandomForestOptions options_;
  int64_t num_features_ = 0;
  int64_t num_classes_ = 0;
  std::vector<ForestTree> trees_;
  std::vector<double> importances_;  // [n_trees, d], row-major
};

}  // namespace lrid

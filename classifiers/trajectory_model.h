// One configured classifier on trajectory features: the random forest and the
// SVM see the 2-D layout (one-hot in front of the continuous block, which the
// SVM pipeline may first reduce with PCA), the Conv1D MLP the 3-D layout
// (features.h). Built from a grid configuration (grid.h); the protocol and
// `lrid identify` use it the same way.
#pragma once
#include <torch/serialize.h>
#include <torch/types.h>

#include <memory>
#include <string>

#include "classifiers/grid.h"

namespace lrid {

class TrajectoryModel {
 public:
  virtual ~TrajectoryModel() = default;
  // continuous: normalised float64 [n, M·T] (observable-major); onehot: [n, 3]; y: int64 [n].
  virtual void fit(const torch::Tensor& continuous, const torch::Tensor& onehot, const torch::Tensor& y,
                   int64_t num_classes) = 0;
  // Class scores [n, k] float64: forest vote fractions, Conv1D softmax, SVM decision values.
  virtual torch::Tensor scores(const torch::Tensor& continuous, const torch::Tensor& onehot) const = 0;
  // Per-tree Gini importances [n_trees, 3 + M·T] (random forest only; else undefined).
  virtual torch::Tensor tree_importances() const { return {}; }
  virtual void save(torch::serialize::OutputArchive& archive) const = 0;
  virtual void load(torch::serialize::InputArchive& archive) = 0;
  torch::Tensor predict(const torch::Tensor& continuous, const torch::Tensor& onehot) const {
    return scores(continuous, onehot).argmax(1);
  }
};

// A registered classifier (classifiers/registry.h) in the configuration given.
// Throws ConfigError for a configuration that cannot be fitted (e.g. a PCA size
// above min(rows, features), a batch above the training rows): the protocol
// skips those, as the spec says.
std::unique_ptr<TrajectoryModel> make_trajectory_model(const std::string& classifier, const GridConfig& config,
                                                       int64_t time_points, uint64_t seed, int64_t n_jobs);

// The adapters behind the registry's factories: the random forest on [one-hot | continuous]
// (n_estimators, max_features), the linear SVM with optional PCA of the continuous block
// (C, pca), and the Conv1D MLP on the 3-D layout (lr, kernel, stride, filters, batch_size
// or "rows", pooling, weight_decay, epochs).
std::unique_ptr<TrajectoryModel> forest_model(const GridConfig& config, uint64_t seed, int64_t n_jobs);
std::unique_ptr<TrajectoryModel> svm_model(const GridConfig& config, uint64_t seed);
std::unique_ptr<TrajectoryModel> conv1d_model(const GridConfig& config, int64_t time_points, uint64_t seed);

}  // namespace lrid

// Feature layouts of the classifier stage (science.md §5.4, §5.5, §6.2).
//   2-D (random forest, SVM): the continuous block is observable-major
//     [N, M·T] (column m·T + t is observable m at time t), named "{obs}@t{t}";
//     the one-hot block [N, 3] (grp_id0..2, from X_cat[:, 0, :]) goes in front
//     after normalisation / PCA and is never normalised.
//   3-D (Conv1D): [N, T, 3 + M], the one-hot repeated along time in front.
#pragma once
#include <torch/types.h>

#include <string>
#include <vector>

#include "trajectories/trajectory_dataset.h"

namespace lrid {

// X[:, times, columns] as float64 [N, M·T'] in observable-major order.
// `times` empty: every time point.
torch::Tensor continuous_block(const TrajectoryDataset& data, const std::vector<int64_t>& columns,
                               const std::vector<int64_t>& times = {});
// T': the number of time points selected (`times` empty: all `time_points` of the dataset).
int64_t selected_time_points(const std::vector<int64_t>& times, int64_t time_points);
// X_cat[:, 0, :] as float64 [N, 3].
torch::Tensor onehot_block(const TrajectoryDataset& data);
// "grp_id0..2" then "{obs}@t{t}" for the 2-D layout.
std::vector<std::string> feature_names(const std::vector<std::string>& observables, int64_t time_points);
// The 3-D layout from the blocks: [N, T, 3 + M] float32.
torch::Tensor sequence_layout(const torch::Tensor& continuous, const torch::Tensor& onehot, int64_t time_points);

// z-scoring with the training rows' statistics: population std floored at 1e-5.
struct Normalizer {
  torch::Tensor mean, stddev;  // [D]
  void fit(const torch::Tensor& x);
  torch::Tensor apply(const torch::Tensor& x) const;
};

}  // namespace lrid

// The trajectory dataset consumed by the classifier stage (science.md §5), and
// its HDF5 file (§5.6), readable with h5py without lrid:
//   /X            float32 [N, T, K]  observable trajectories (non-finite allowed)
//   /Y            UTF-8 strings [N]  learning-rule label of each row
//   /obs_keys     UTF-8 strings [K]  observable name of each index of X's last axis
//   /X_cat        float32 [N, T, 3]  early/middle/deep one-hot, constant along T
//   /time_epochs  float64 [T]        epoch of each time point
//   /meta/<name>  [N] per-row metadata: strings, int64 or float64 columns
//                 (task, architecture, learning_rule, batch_size, model_seed,
//                 dataset_seed, layer, layer_index, layer_position, run_id,
//                 obs_frac, obs_stddev, obs_seed, ...; None is -1 or NaN)
//   attributes on /: lrid_version, lrid_commit, config (free text)
// Files are written to a temporary name and renamed into place.
#pragma once
#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

namespace lrid {

struct MetaColumn {
  enum class Kind { kString, kInt, kReal } kind = Kind::kString;
  std::vector<std::string> strings;
  std::vector<int64_t> ints;
  std::vector<double> reals;
  int64_t size() const;
  std::string as_string(int64_t row) const;  // any kind, printed
};

struct TrajectoryDataset {
  torch::Tensor x;      // float32 [N, T, K]
  torch::Tensor x_cat;  // float32 [N, T, 3]
  std::vector<std::string> y;
  std::vector<std::string> obs_keys;
  torch::Tensor time_epochs;  // float64 [T]
  std::map<std::string, MetaColumn> meta;
  std::map<std::string, std::string> attributes;

  int64_t rows() const { return x.size(0); }
  int64_t time_points() const { return x.size(1); }
  // Throws DataError naming `what` when shapes or lengths disagree.
  void validate(const std::string& what) const;
  // The rows listed, in order (every array and column).
  TrajectoryDataset subset(const std::vector<int64_t>& rows) const;
};

TrajectoryDataset read_dataset(const std::string& path);
void write_dataset(const std::string& path, const TrajectoryDataset& data);

// Writes named float64 arrays (any rank) to a new HDF5 file, atomically.
void write_arrays(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& arrays);

// Observable selection (§5.3): a set name (all, all45, weight, act, grad;
// every: all of the dataset's obs_keys, in file order) or a
// comma-separated list of names. Throws ConfigError for unknown names and
// DataError when a name is absent from the dataset.
std::vector<int64_t> select_observables(const TrajectoryDataset& data, const std::string& selection,
                                        std::vector<std::string>* names = nullptr);

// Rows of `x[:, :, columns]` holding a non-finite value.
std::vector<int64_t> nonfinite_rows(const TrajectoryDataset& data, const std::vector<int64_t>& columns);

}  // namespace lrid

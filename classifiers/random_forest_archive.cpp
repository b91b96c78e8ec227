// Random forest save/load (declared in random_forest.h): the options, the shape
// and the trees as plain tensors under "rf/". Trees are concatenated;
// node_offsets / leaf_offsets [n_trees + 1] delimit them. A loaded forest is
// checked so that predict cannot read outside a tree.
#include <fmt/format.h>

#include "classifiers/archive_io.h"
#include "classifiers/random_forest.h"
#include "core/errors.h"

namespace lrid {
namespace {

constexpr const char* kForestLoad = "random_forest load";

// max_features in the archive: sqrt 0, log2 1, all 2.
int64_t max_features_code(const std::string& mode) { return mode == "sqrt" ? 0 : mode == "log2" ? 1 : 2; }
const char* max_features_name(int64_t code) {
  static const char* names[] = {"sqrt", "log2", "all"};
  return names[code];
}

template <typename T>
torch::Tensor vector_tensor(const std::vector<T>& v, torch::ScalarType type) {
  return torch::from_blob(const_cast<T*>(v.data()), {static_cast<int64_t>(v.size())}, type).clone();
}

torch::Tensor forest_tensor(torch::serialize::InputArchive& archive, const char* key, torch::ScalarType type) {
  return read_tensor(archive, std::string("rf/") + key, type, kForestLoad);
}

// rf/options: [n_estimators, max_features code, max_depth, min_samples_split,
// min_samples_leaf, bootstrap, seed, n_jobs] (int64).
torch::Tensor options_row(const RandomForestOptions& o) {
  return torch::tensor({o.n_estimators, max_features_code(o.max_features), o.max_depth, o.min_samples_split,
                        o.min_samples_leaf, int64_t{o.bootstrap}, static_cast<int64_t>(o.seed), o.n_jobs},
                       torch::kInt64);
}

RandomForestOptions options_of_row(const torch::Tensor& row) {
  const int64_t* op = row.data_ptr<int64_t>();
  if (op[1] < 0 || op[1] > 2) throw IoError(fmt::format("random_forest load: bad max_features code {}", op[1]));
  RandomForestOptions o;
  o.n_estimators = op[0];
  o.max_features = max_features_name(op[1]);
  o.max_depth = op[2];
  o.min_samples_split = op[3];
  o.min_samples_leaf = op[4];
  o.bootstrap = op[5] != 0;
  o.seed = static_cast<uint64_t>(op[6]);
  o.n_jobs = op[7];
  o.validate();
  return o;
}

// The tree arrays of an archive, each checked for its dtype.
struct ForestArrays {
  torch::Tensor node_offsets, leaf_offsets, feature, threshold, left, right, leaf_values, importances;
};

ForestArrays read_forest_arrays(torch::serialize::InputArchive& archive) {
  ForestArrays a;
  a.node_offsets = forest_tensor(archive, "node_offsets", torch::kInt64);
  a.leaf_offsets = forest_tensor(archive, "leaf_offsets", torch::kInt64);
  a.feature = forest_tensor(archive, "feature", torch::kInt32);
  a.threshold = forest_tensor(archive, "threshold", torch::kFloat64);
  a.left = forest_tensor(archive, "left", torch::kInt32);
  a.right = forest_tensor(archive, "right", torch::kInt32);
  a.leaf_values = forest_tensor(archive, "leaf_values", torch::kFloat64);
  a.importances = forest_tensor(archive, "importances", torch::kFloat64);
  return a;
}

// The number of trees, once the arrays' sizes and end offsets agree with each other and with [d, c].
int64_t check_forest_arrays(const ForestArrays& a, int64_t d, int64_t c) {
  const int64_t n_trees = a.node_offsets.numel() - 1;
  const int64_t n_nodes = a.feature.numel();
  if (n_trees < 1 || a.leaf_offsets.numel() != n_trees + 1 || a.threshold.numel() != n_nodes ||
      a.left.numel() != n_nodes || a.right.numel() != n_nodes || a.leaf_values.dim() != 2 ||
      a.leaf_values.size(1) != c || a.importances.sizes() != torch::IntArrayRef({n_trees, d})) {
    throw IoError("random_forest load: inconsistent tree arrays");
  }
  if (a.node_offsets.data_ptr<int64_t>()[n_trees] != n_nodes ||
      a.leaf_offsets.data_ptr<int64_t>()[n_trees] != a.leaf_values.size(0))
    throw IoError("random_forest load: bad offsets");
  return n_trees;
}

// Tree t of the arrays; every index must stay inside the tree, so that predict cannot read out of bounds.
ForestTree unpack_tree(const ForestArrays& arrays, int64_t t, int64_t d, int64_t c) {
  const int64_t a = arrays.node_offsets.data_ptr<int64_t>()[t], b = arrays.node_offsets.data_ptr<int64_t>()[t + 1];
  const int64_t la = arrays.leaf_offsets.data_ptr<int64_t>()[t], lb = arrays.leaf_offsets.data_ptr<int64_t>()[t + 1];
  if (a >= b || la >= lb) throw IoError("random_forest load: bad offsets");
  ForestTree tree;
  tree.feature.assign(arrays.feature.data_ptr<int32_t>() + a, arrays.feature.data_ptr<int32_t>() + b);
  tree.threshold.assign(arrays.threshold.data_ptr<double>() + a, arrays.threshold.data_ptr<double>() + b);
  tree.left.assign(arrays.left.data_ptr<int32_t>() + a, arrays.left.data_ptr<int32_t>() + b);
  tree.right.assign(arrays.right.data_ptr<int32_t>() + a, arrays.right.data_ptr<int32_t>() + b);
  tree.leaf_values.assign(arrays.leaf_values.data_ptr<double>() + la * c, arrays.leaf_values.data_ptr<double>() + lb * c);
  const int64_t nodes = b - a, leaves = lb - la;
  for (int64_t i = 0; i < nodes; ++i) {
    const bool ok = tree.feature[i] < 0 ? (tree.left[i] >= 0 && tree.left[i] < leaves)
                                        : (tree.feature[i] < d && tree.left[i] > i && tree.left[i] < nodes &&
                                           tree.right[i] > i && tree.right[i] < nodes);
    if (!ok) throw IoError(fmt::format("random_forest load: tree {} node {} is malformed", t, i));
  }
  return tree;
}

}  // namespace

void RandomForest::save(torch::serialize::OutputArchive& archive) const {
  check_fitted("save");
  std::vector<int64_t> node_offsets{0}, leaf_offsets{0};
  std::vector<int32_t> feature, left, right;
  std::vector<double> threshold, leaf_values;
  for (const ForestTree& t : trees_) {
    feature.insert(feature.end(), t.feature.begin(), t.feature.end());
    threshold.insert(threshold.end(), t.threshold.begin(), t.threshold.end());
    left.insert(left.end(), t.left.begin(), t.left.end());
    right.insert(right.end(), t.right.begin(), t.right.end());
    leaf_values.insert(leaf_values.end(), t.leaf_values.begin(), t.leaf_values.end());
    node_offsets.push_back(static_cast<int64_t>(feature.size()));
    leaf_offsets.push_back(static_cast<int64_t>(leaf_values.size()) / num_classes_);
  }
  write_tensors(archive, {{"rf/options", options_row(options_)},
                          {"rf/shape", torch::tensor({num_features_, num_classes_}, torch::kInt64)},
                          {"rf/node_offsets", vector_tensor(node_offsets, torch::kInt64)},
                          {"rf/leaf_offsets", vector_tensor(leaf_offsets, torch::kInt64)},
                          {"rf/feature", vector_tensor(feature, torch::kInt32)},
                          {"rf/threshold", vector_tensor(threshold, torch::kFloat64)},
                          {"rf/left", vector_tensor(left, torch::kInt32)},
                          {"rf/right", vector_tensor(right, torch::kInt32)},
                          {"rf/leaf_values", vector_tensor(leaf_values, torch::kFloat64).view({-1, num_classes_})},
                          {"rf/importances", tree_importances()}});
}

void RandomForest::load(torch::serialize::InputArchive& archive) {
  const torch::Tensor opt = forest_tensor(archive, "options", torch::kInt64);
  const torch::Tensor shape = forest_tensor(archive, "shape", torch::kInt64);
  if (opt.numel() != 8 || shape.numel() != 2) throw IoError("random_forest load: malformed rf/options or rf/shape");
  const RandomForestOptions o = options_of_row(opt);
  const int64_t d = shape[0].item<int64_t>(), c = shape[1].item<int64_t>();
  if (d < 1 || c < 1) throw IoError(fmt::format("random_forest load: bad shape [{}, {}]", d, c));
  const ForestArrays arrays = read_forest_arrays(archive);
  const int64_t n_trees = check_forest_arrays(arrays, d, c);
  std::vector<ForestTree> trees;
  for (int64_t t = 0; t < n_trees; ++t) trees.push_back(unpack_tree(arrays, t, d, c));
  options_ = o;
  num_features_ = d;
  num_classes_ = c;
  trees_ = std::move(trees);
  importances_.assign(arrays.importances.data_ptr<double>(), arrays.importances.data_ptr<double>() + n_trees * d);
}

}  // namespace lrid

// Random forest: options, parallel fit, prediction and importances. See
// random_forest.h; one tree is grown by random_forest_builder.cpp, and
// save/load are in random_forest_archive.cpp.
#include "classifiers/random_forest.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "classifiers/random_forest_builder.h"
#include "core/errors.h"
#include "core/seeding.h"

namespace lrid {
namespace {

void check_forest_features(const torch::Tensor& x, const char* what) {
  TORCH_CHECK(x.defined() && x.dim() == 2, what, ": x must be a 2-D tensor, got ", x.sizes());
  TORCH_CHECK(x.scalar_type() == torch::kFloat64, what, ": x must be float64, got ", x.scalar_type());
  TORCH_CHECK(x.device().is_cpu(), what, ": x must be on the CPU");
  if (x.numel() > 0 && !torch::isfinite(x).all().item<bool>()) {
    throw DataError(fmt::format("random_forest {}: x contains NaN or Inf", what));
  }
}

// Shapes and labels of fit's arguments (DataError / c10::Error as the header says).
void check_forest_targets(const torch::Tensor& x, const torch::Tensor& y, int64_t num_classes) {
  TORCH_CHECK(y.defined() && y.dim() == 1 && y.scalar_type() == torch::kInt64 && y.device().is_cpu(),
              "fit: y must be a 1-D int64 CPU tensor");
  TORCH_CHECK(y.size(0) == x.size(0), "fit: x has ", x.size(0), " rows but y has ", y.size(0));
  const int64_t n = x.size(0), d = x.size(1);
  if (n < 1 || d < 1) throw DataError(fmt::format("random_forest fit: x must have rows and columns, got [{}, {}]", n, d));
  if (n >= (int64_t{1} << 31)) throw DataError(fmt::format("random_forest fit: too many rows ({})", n));
  if (num_classes < 1) throw DataError(fmt::format("random_forest fit: num_classes must be >= 1, got {}", num_classes));
  const torch::Tensor yc = y.contiguous();
  const int64_t* labels = yc.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes) {
      throw DataError(fmt::format("random_forest fit: label y[{}] = {} is outside [0, {})", i, labels[i], num_classes));
    }
  }
}

// Runs body(i) for i in [0, count) on `threads` threads (inline for one); rethrows the first error.
template <typename Body>
void run_parallel(int64_t count, int64_t threads, const Body& body) {
  threads = std::max<int64_t>(1, std::min(threads, count));
  if (threads == 1) {
    for (int64_t i = 0; i < count; ++i) body(i);
    return;
  }
  std::atomic<int64_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    try {
      for (int64_t i; (i = next.fetch_add(1)) < count;) body(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next.store(count);
    }
  };
  std::vector<std::thread> pool;
  for (int64_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace

void RandomForestOptions::validate() const {
  if (n_estimators < 1) throw ConfigError(fmt::format("random_forest.n_estimators must be >= 1, got {}", n_estimators));
  if (max_features != "sqrt" && max_features != "log2" && max_features != "all") {
    throw ConfigError(fmt::format("random_forest.max_features must be sqrt, log2 or all, got '{}'", max_features));
  }
  if (max_depth != -1 && max_depth < 1) {
    throw ConfigError(fmt::format("random_forest.max_depth must be -1 (unlimited) or >= 1, got {}", max_depth));
  }
  if (min_samples_split < 2) {
    throw ConfigError(fmt::format("random_forest.min_samples_split must be >= 2, got {}", min_samples_split));
  }
  if (min_samples_leaf < 1) {
    throw ConfigError(fmt::format("random_forest.min_samples_leaf must be >= 1, got {}", min_samples_leaf));
  }
  if (n_jobs < 0) throw ConfigError(fmt::format("random_forest.n_jobs must be >= 0, got {}", n_jobs));
}

RandomForest::RandomForest(RandomForestOptions options) : options_(std::move(options)) { options_.validate(); }

int64_t RandomForest::threads() const {
  if (options_.n_jobs > 0) return options_.n_jobs;
  return std::max<int64_t>(1, static_cast<int64_t>(std::thread::hardware_concurrency()));
}

void RandomForest::check_fitted(const char* what) const {
  if (trees_.empty()) throw DataError(fmt::format("random_forest {}: the forest is not fitted", what));
}

void RandomForest::fit(const torch::Tensor& x, const torch::Tensor& y, int64_t num_classes) {
  options_.validate();
  check_forest_features(x, "fit");
  check_forest_targets(x, y, num_classes);
  const int64_t n = x.size(0), d = x.size(1);
  const torch::Tensor xc = x.contiguous(), yc = y.contiguous();
  const ForestTrainData data = rank_forest_features(xc.data_ptr<double>(), yc.data_ptr<int64_t>(), n, d, num_classes);
  const int64_t n_trees = options_.n_estimators;
  std::vector<ForestTree> trees(static_cast<size_t>(n_trees));
  std::vector<double> importances(static_cast<size_t>(n_trees * d));
  const int64_t n_threads = std::max<int64_t>(1, std::min(threads(), n_trees));
  // One builder (and its buffers) per thread; each thread takes the next tree index.
  std::atomic<int64_t> next{0};
  run_parallel(n_threads, n_threads, [&](int64_t) {
    ForestTreeBuilder builder(data, options_);
    for (int64_t t; (t = next.fetch_add(1)) < n_trees;) {
      trees[t] = builder.build(mix_seed(options_.seed, static_cast<uint64_t>(t)), importances.data() + t * d);
    }
  });
  trees_ = std::move(trees);
  importances_ = std::move(importances);
  num_features_ = d;
  num_classes_ = num_classes;
}

torch::Tensor RandomForest::predict_proba(const torch::Tensor& x) const {
  check_fitted("predict_proba");
  check_forest_features(x, "predict_proba");
  TORCH_CHECK(x.size(1) == num_features_, "predict_proba: x has ", x.size(1), " features, the forest ", num_features_);
  const torch::Tensor xc = x.contiguous();
  const int64_t n = x.size(0), d = num_features_, c = num_classes_;
  torch::Tensor out = torch::zeros({n, c}, torch::kFloat64);
  const double* xp = xc.data_ptr<double>();
  double* op = out.data_ptr<double>();
  const double scale = 1.0 / static_cast<double>(trees_.size());
  // Rows in blocks across threads; each row sums the trees in order (deterministic).
  constexpr int64_t kBlock = 256;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  run_parallel(blocks, threads(), [&](int64_t b) {
    const int64_t end = std::min(n, (b + 1) * kBlock);
    for (const ForestTree& tree : trees_) {
      for (int64_t i = b * kBlock; i < end; ++i) {
        const double* row = xp + i * d;
        int32_t node = 0;
        while (tree.feature[node] >= 0) {
          node = row[tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
        }
        const double* leaf = tree.leaf_values.data() + static_cast<int64_t>(tree.left[node]) * c;
        double* o = op + i * c;
        for (int64_t k = 0; k < c; ++k) o[k] += leaf[k];
      }
    }
    for (int64_t i = b * kBlock * c; i < end * c; ++i) op[i] *= scale;
  });
  return out;
}

torch::Tensor RandomForest::predict(const torch::Tensor& x) const {
  const torch::Tensor proba = predict_proba(x);
  const int64_t n = proba.size(0), c = proba.size(1);
  torch::Tensor out = torch::empty({n}, torch::kInt64);
  const double* p = proba.data_ptr<double>();
  int64_t* o = out.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {  // first maximum, as numpy's argmax
    int64_t best = 0;
    for (int64_t k = 1; k < c; ++k)
      if (p[i * c + k] > p[i * c + best]) best = k;
    o[i] = best;
  }
  return out;
}

torch::Tensor RandomForest::tree_importances() const {
  check_fitted("tree_importances");
  return torch::from_blob(const_cast<double*>(importances_.data()), {num_trees(), num_features_}, torch::kFloat64)
      .clone();
}

torch::Tensor RandomForest::feature_importances() const {
  check_fitted("feature_importances");
  // sklearn: mean over the trees with more than one node, renormalised; zeros if none.
  const int64_t d = num_features_;
  std::vector<double> mean(static_cast<size_t>(d), 0.0);
  int64_t used = 0;
  for (int64_t t = 0; t < num_trees(); ++t) {
    if (trees_[t].feature.size() <= 1) continue;
    ++used;
    for (int64_t f = 0; f < d; ++f) mean[f] += importances_[t * d + f];
  }
  torch::Tensor out = torch::zeros({d}, torch::kFloat64);
  if (used == 0) return out;
  double sum = 0;
  for (int64_t f = 0; f < d; ++f) sum += (mean[f] /= static_cast<double>(used));
  double* o = out.data_ptr<double>();
  for (int64_t f = 0; f < d; ++f) o[f] = sum > 0 ? mean[f] / sum : 0.0;
  return out;
}

}  // namespace lrid

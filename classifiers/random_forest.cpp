// Random forest: sklearn-style Gini trees on bootstrap weights. See random_forest.h.
//
// Speed: each feature is ranked once per fit (dense ranks of its distinct
// values), so a node's split search for a candidate feature works on uint32
// ranks: when the node's rank range is small relative to its sample count the
// class weights are binned by rank (no sort), otherwise (rank << 32 | sample)
// keys are sorted as plain integers. Either way the candidate thresholds and
// the chosen split are exactly those of a sort of the node's values.
#include "classifiers/random_forest.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <random>
#include <thread>

#include "core/errors.h"
#include "core/seeding.h"

namespace lrid {
namespace {

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();  // sklearn's purity test
// Bin by rank when the node's rank range is at most this many times its sample count.
constexpr int64_t kHistogramFactor = 16;
// Largest rank-bin table (distinct values x classes, doubles) a thread may hold; beyond it, always sort.
constexpr int64_t kMaxHistogramCells = int64_t{1} << 22;

int64_t max_features_code(const std::string& mode) {
  if (mode == "sqrt") return 0;
  if (mode == "log2") return 1;
  if (mode == "all") return 2;
  return -1;
}
const char* max_features_name(int64_t code) {
  static const char* names[] = {"sqrt", "log2", "all"};
  return names[code];
}

// sklearn: max(1, int(sqrt(d))), max(1, int(log2(d))), or d.
int64_t resolve_max_features(const std::string& mode, int64_t d) {
  if (mode == "sqrt") return std::max<int64_t>(1, static_cast<int64_t>(std::sqrt(static_cast<double>(d))));
  if (mode == "log2") return std::max<int64_t>(1, static_cast<int64_t>(std::log2(static_cast<double>(d))));
  return d;
}

// Uniform integer in [0, n) (Lemire's multiply-shift; the bias is < n / 2^64).
inline uint64_t below(std::mt19937_64& rng, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(rng()) * n) >> 64);
}

void check_features(const torch::Tensor& x, const char* what) {
  TORCH_CHECK(x.defined() && x.dim() == 2, what, ": x must be a 2-D tensor, got ", x.sizes());
  TORCH_CHECK(x.scalar_type() == torch::kFloat64, what, ": x must be float64, got ", x.scalar_type());
  TORCH_CHECK(x.device().is_cpu(), what, ": x must be on the CPU");
  if (x.numel() > 0 && !torch::isfinite(x).all().item<bool>()) {
    throw DataError(fmt::format("random_forest {}: x contains NaN or Inf", what));
  }
}

// Read-only training data shared by the tree-building threads.
struct TrainData {
  int64_t n = 0, d = 0, c = 0;
  std::vector<uint32_t> rank;                // [d, n]: dense rank of x[i, f] among feature f's values
  std::vector<std::vector<double>> values;   // per feature: its sorted distinct values
  std::vector<int32_t> y;                    // [n]
  int64_t max_distinct = 0;
};

TrainData rank_features(const double* x, const int64_t* y, int64_t n, int64_t d, int64_t c) {
  TrainData data;
  data.n = n, data.d = d, data.c = c;
  data.rank.resize(static_cast<size_t>(n * d));
  data.values.resize(static_cast<size_t>(d));
  data.y.assign(y, y + n);
  std::vector<std::pair<double, uint32_t>> col(static_cast<size_t>(n));
  for (int64_t f = 0; f < d; ++f) {
    for (int64_t i = 0; i < n; ++i) col[i] = {x[i * d + f], static_cast<uint32_t>(i)};
    std::sort(col.begin(), col.end());
    uint32_t* rank = data.rank.data() + f * n;
    std::vector<double>& values = data.values[f];
    for (int64_t i = 0; i < n; ++i) {
      if (i == 0 || col[i].first != col[i - 1].first) values.push_back(col[i].first);
      rank[col[i].second] = static_cast<uint32_t>(values.size() - 1);
    }
    data.max_distinct = std::max<int64_t>(data.max_distinct, static_cast<int64_t>(values.size()));
  }
  return data;
}

// The best split of a node so far, as ranks of feature `feature`: samples with
// rank <= rank_left go left; rank_right is the next rank present in the node.
struct Split {
  int32_t feature = -1;
  uint32_t rank_left = 0, rank_right = 0;
  double proxy = -std::numeric_limits<double>::infinity();  // sum_k L_k^2/wL + sum_k R_k^2/wR
};

// Grows one tree at a time, reusing its buffers across nodes and trees (one per thread).
class TreeBuilder {
 public:
  TreeBuilder(const TrainData& data, const RandomForestOptions& options)
      : data_(data), options_(options), max_features_(resolve_max_features(options.max_features, data.d)) {
    const size_t n = static_cast<size_t>(data.n), c = static_cast<size_t>(data.c);
    weight_.resize(n);
    samples_.reserve(n);
    right_samples_.resize(n);
    keys_.resize(n);
    features_.resize(static_cast<size_t>(data.d));
    constant_features_.resize(static_cast<size_t>(data.d));
    if (data.max_distinct * data.c <= kMaxHistogramCells) {
      hist_n_.assign(static_cast<size_t>(data.max_distinct), 0);
      hist_w_.assign(static_cast<size_t>(data.max_distinct) * c, 0.0);
    }
    totals_.resize(c);
    left_.resize(c);
  }

  // Fills `importances` [d] with the tree's normalised Gini importances.
  ForestTree build(uint64_t seed, double* importances) {
    const int64_t n = data_.n, d = data_.d, c = data_.c;
    rng_.seed(seed);
    // Bootstrap: n draws with replacement; the counts are sample weights, and
    // samples never drawn take no part (as in sklearn).
    if (options_.bootstrap) {
      std::fill(weight_.begin(), weight_.end(), 0.0);
      for (int64_t i = 0; i < n; ++i) weight_[below(rng_, n)] += 1.0;
    } else {
      std::fill(weight_.begin(), weight_.end(), 1.0);
    }
    samples_.clear();
    for (int64_t i = 0; i < n; ++i) if (weight_[i] > 0) samples_.push_back(static_cast<int32_t>(i));
    for (int64_t f = 0; f < d; ++f) features_[f] = static_cast<int32_t>(f);
    std::fill(importances, importances + d, 0.0);

    ForestTree tree;
    stack_.clear();
    stack_.push_back({0, static_cast<int32_t>(samples_.size()), 0, -1, false, 0});
    double root_weight = 0;
    while (!stack_.empty()) {
      const StackEntry e = stack_.back();
      stack_.pop_back();
      const int32_t n_node = e.end - e.start;
      // Class weights of the node.
      std::fill(totals_.begin(), totals_.end(), 0.0);
      double w = 0;
      for (int32_t i = e.start; i < e.end; ++i) {
        const int32_t s = samples_[i];
        totals_[data_.y[s]] += weight_[s];
        w += weight_[s];
      }
      if (e.parent < 0) root_weight = w;
      const double impurity = gini(totals_.data(), w);

      bool leaf = (options_.max_depth >= 0 && e.depth >= options_.max_depth) ||
                  n_node < options_.min_samples_split || n_node < 2 * options_.min_samples_leaf ||
                  impurity <= kEpsilon;
      Split split;
      int32_t n_constant = e.n_constant;
      if (!leaf) {
        split = best_split(e.start, e.end, w, n_constant);
        leaf = split.feature < 0;
      }

      const int32_t id = static_cast<int32_t>(tree.feature.size());
      if (e.parent >= 0) (e.is_left ? tree.left : tree.right)[e.parent] = id;
      if (leaf) {
        tree.feature.push_back(-1);
        tree.threshold.push_back(0.0);
        tree.left.push_back(static_cast<int32_t>(tree.leaf_values.size() / c));
        tree.right.push_back(-1);
        for (int64_t k = 0; k < c; ++k) tree.leaf_values.push_back(totals_[k] / w);
        continue;
      }
      // Midpoint threshold; sklearn falls back to the left value when rounding
      // makes the midpoint equal the right value.
      const std::vector<double>& values = data_.values[split.feature];
      const double lo = values[split.rank_left], hi = values[split.rank_right];
      double threshold = lo / 2.0 + hi / 2.0;
      if (threshold == hi || std::isinf(threshold)) threshold = lo;
      tree.feature.push_back(split.feature);
      tree.threshold.push_back(threshold);
      tree.left.push_back(-1);
      tree.right.push_back(-1);

      // Stable partition of the node's samples (left: rank <= rank_left), counting
      // the left class weights. Stable keeps each node's samples in increasing
      // order, so the rank gathers of the split search walk memory forwards.
      const uint32_t* rank = data_.rank.data() + static_cast<int64_t>(split.feature) * n;
      std::fill(left_.begin(), left_.end(), 0.0);
      double w_left = 0;
      int32_t i = e.start, n_right = 0;
      for (int32_t k = e.start; k < e.end; ++k) {
        const int32_t s = samples_[k];
        if (rank[s] <= split.rank_left) {
          left_[data_.y[s]] += weight_[s];
          w_left += weight_[s];
          samples_[i++] = s;
        } else {
          right_samples_[n_right++] = s;
        }
      }
      std::copy(right_samples_.begin(), right_samples_.begin() + n_right, samples_.begin() + i);
      const double w_right = w - w_left;
      for (int64_t k = 0; k < c; ++k) totals_[k] -= left_[k];  // now the right class weights
      importances[split.feature] += w * impurity - w_left * gini(left_.data(), w_left) -
                                    w_right * gini(totals_.data(), w_right);
      // Depth first, left child first (sklearn's DepthFirstTreeBuilder order).
      stack_.push_back({i, e.end, e.depth + 1, id, false, n_constant});
      stack_.push_back({e.start, i, e.depth + 1, id, true, n_constant});
    }
    // Mean decrease in impurity per root weight, then normalised to sum 1 (sklearn).
    double sum = 0;
    for (int64_t f = 0; f < d; ++f) sum += (importances[f] /= root_weight);
    if (sum > 0) for (int64_t f = 0; f < d; ++f) importances[f] /= sum;

    tree.feature.shrink_to_fit();
    tree.threshold.shrink_to_fit();
    tree.left.shrink_to_fit();
    tree.right.shrink_to_fit();
    tree.leaf_values.shrink_to_fit();
    return tree;
  }

 private:
  struct StackEntry {
    int32_t start, end, depth, parent;
    bool is_left;
    int32_t n_constant;  // features known to be constant in this node (sklearn's bookkeeping)
  };

  double gini(const double* counts, double w) const {
    double sq = 0;
    for (int64_t k = 0; k < data_.c; ++k) sq += counts[k] * counts[k];
    return 1.0 - sq / (w * w);
  }

  // sklearn's BestSplitter feature sampling: draw features without replacement
  // until max_features were drawn and at least one was not constant in the node
  // (or all were drawn). Features found constant are kept at the front of
  // features_ so that descendants skip them without sorting.
  Split best_split(int32_t start, int32_t end, double w, int32_t& n_constant) {
    const int32_t d = static_cast<int32_t>(data_.d);
    const int32_t n_known = n_constant;
    int32_t n_found = 0, n_drawn_constants = 0, n_total = n_known, f_i = d, n_visited = 0;
    Split best;
    while (f_i > n_total && (n_visited < max_features_ || n_visited <= n_found + n_drawn_constants)) {
      ++n_visited;
      int32_t f_j = n_drawn_constants + static_cast<int32_t>(below(rng_, f_i - n_found - n_drawn_constants));
      if (f_j < n_known) {  // a feature already known to be constant
        std::swap(features_[n_drawn_constants], features_[f_j]);
        ++n_drawn_constants;
        continue;
      }
      f_j += n_found;
      if (!evaluate_feature(features_[f_j], start, end, w, best)) {  // constant here
        std::swap(features_[f_j], features_[n_total]);
        ++n_found;
        ++n_total;
        continue;
      }
      --f_i;
      std::swap(features_[f_i], features_[f_j]);
    }
    // Keep the known constants' order for siblings; record the new ones for the children.
    std::copy(constant_features_.begin(), constant_features_.begin() + n_known, features_.begin());
    std::copy(features_.begin() + n_known, features_.begin() + n_known + n_found,
              constant_features_.begin() + n_known);
    n_constant = n_total;
    return best;
  }

  // Scans every threshold of feature f in the node and updates `best`; false if f is constant.
  bool evaluate_feature(int32_t f, int32_t start, int32_t end, double w, Split& best) {
    const int64_t c = data_.c;
    const int32_t n_node = end - start;
    const uint32_t* rank = data_.rank.data() + static_cast<int64_t>(f) * data_.n;
    uint64_t* keys = keys_.data();
    uint32_t rmin = std::numeric_limits<uint32_t>::max(), rmax = 0;
    for (int32_t i = 0; i < n_node; ++i) {
      const uint32_t s = static_cast<uint32_t>(samples_[start + i]);
      const uint32_t r = rank[s];
      rmin = std::min(rmin, r);
      rmax = std::max(rmax, r);
      keys[i] = (static_cast<uint64_t>(r) << 32) | s;
    }
    if (rmin == rmax) return false;
    const int32_t min_leaf = static_cast<int32_t>(options_.min_samples_leaf);
    const double* y_total = totals_.data();
    double* left = left_.data();
    std::fill(left, left + c, 0.0);
    double w_left = 0;
    // Candidate split after `n_left` samples, between ranks lo and hi.
    auto consider = [&](int32_t n_left, uint32_t lo, uint32_t hi) {
      if (n_left < min_leaf || n_node - n_left < min_leaf) return;
      const double w_right = w - w_left;
      double sq_left = 0, sq_right = 0;
      for (int64_t k = 0; k < c; ++k) {
        const double r = y_total[k] - left[k];
        sq_left += left[k] * left[k];
        sq_right += r * r;
      }
      const double proxy = sq_left / w_left + sq_right / w_right;
      if (proxy > best.proxy) best = {f, lo, hi, proxy};
    };

    const int64_t range = static_cast<int64_t>(rmax - rmin) + 1;
    if (!hist_n_.empty() && range <= kHistogramFactor * n_node) {
      // Bin class weights by rank; empty bins are skipped, used bins cleared as read.
      int32_t* hist_n = hist_n_.data();
      double* hist_w = hist_w_.data();
      for (int32_t i = 0; i < n_node; ++i) {
        const uint32_t r = static_cast<uint32_t>(keys[i] >> 32) - rmin;
        const uint32_t s = static_cast<uint32_t>(keys[i]);
        ++hist_n[r];
        hist_w[static_cast<int64_t>(r) * c + data_.y[s]] += weight_[s];
      }
      int32_t n_left = 0;
      int64_t prev = -1;
      for (int64_t r = 0; r < range; ++r) {
        if (hist_n[r] == 0) continue;
        if (prev >= 0) consider(n_left, static_cast<uint32_t>(prev) + rmin, static_cast<uint32_t>(r) + rmin);
        n_left += hist_n[r];
        hist_n[r] = 0;
        double* bin = hist_w + r * c;
        for (int64_t k = 0; k < c; ++k) {
          left[k] += bin[k];
          w_left += bin[k];
          bin[k] = 0.0;
        }
        prev = r;
      }
    } else {
      std::sort(keys, keys + n_node);
      uint32_t prev = static_cast<uint32_t>(keys[0] >> 32);
      for (int32_t i = 0; i < n_node; ++i) {
        const uint32_t r = static_cast<uint32_t>(keys[i] >> 32);
        const uint32_t s = static_cast<uint32_t>(keys[i]);
        if (r != prev) {
          consider(i, prev, r);
          prev = r;
        }
        left[data_.y[s]] += weight_[s];
        w_left += weight_[s];
      }
    }
    return true;
  }

  const TrainData& data_;
  const RandomForestOptions& options_;
  const int64_t max_features_;
  std::mt19937_64 rng_;
  std::vector<double> weight_;       // [n] bootstrap counts
  std::vector<int32_t> samples_;     // samples with weight > 0, partitioned node by node
  std::vector<int32_t> right_samples_;  // [n] scratch of the partition
  std::vector<uint64_t> keys_;       // [n] (rank << 32 | sample) of the node
  std::vector<int32_t> features_;    // [d] sklearn's feature order (known constants first)
  std::vector<int32_t> constant_features_;  // [d]
  std::vector<int32_t> hist_n_;      // [max_distinct] samples per rank bin (empty: never bin)
  std::vector<double> hist_w_;       // [max_distinct, c] class weights per rank bin
  std::vector<double> totals_, left_;  // [c]
  std::vector<StackEntry> stack_;
};

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
  if (max_features_code(max_features) < 0) {
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
  check_features(x, "fit");
  TORCH_CHECK(y.defined() && y.dim() == 1 && y.scalar_type() == torch::kInt64 && y.device().is_cpu(),
              "fit: y must be a 1-D int64 CPU tensor");
  TORCH_CHECK(y.size(0) == x.size(0), "fit: x has ", x.size(0), " rows but y has ", y.size(0));
  const int64_t n = x.size(0), d = x.size(1);
  if (n < 1 || d < 1) throw DataError(fmt::format("random_forest fit: x must have rows and columns, got [{}, {}]", n, d));
  if (n >= (int64_t{1} << 31)) throw DataError(fmt::format("random_forest fit: too many rows ({})", n));
  if (num_classes < 1) throw DataError(fmt::format("random_forest fit: num_classes must be >= 1, got {}", num_classes));
  const torch::Tensor xc = x.contiguous(), yc = y.contiguous();
  const int64_t* labels = yc.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes) {
      throw DataError(fmt::format("random_forest fit: label y[{}] = {} is outside [0, {})", i, labels[i], num_classes));
    }
  }

  const TrainData data = rank_features(xc.data_ptr<double>(), labels, n, d, num_classes);
  const int64_t n_trees = options_.n_estimators;
  std::vector<ForestTree> trees(static_cast<size_t>(n_trees));
  std::vector<double> importances(static_cast<size_t>(n_trees * d));
  const int64_t n_threads = std::max<int64_t>(1, std::min(threads(), n_trees));
  // One builder (and its buffers) per thread; each thread takes the next tree index.
  std::atomic<int64_t> next{0};
  run_parallel(n_threads, n_threads, [&](int64_t) {
    TreeBuilder builder(data, options_);
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
  check_features(x, "predict_proba");
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
    for (int64_t k = 1; k < c; ++k) if (p[i * c + k] > p[i * c + best]) best = k;
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

namespace {
template <typename T>
torch::Tensor vector_tensor(const std::vector<T>& v, torch::ScalarType type) {
  return torch::from_blob(const_cast<T*>(v.data()), {static_cast<int64_t>(v.size())}, type).clone();
}
}  // namespace

void RandomForest::save(torch::serialize::OutputArchive& archive) const {
  check_fitted("save");
  const RandomForestOptions& o = options_;
  archive.write("rf/options", torch::tensor({o.n_estimators, max_features_code(o.max_features), o.max_depth,
                                            o.min_samples_split, o.min_samples_leaf, int64_t{o.bootstrap},
                                            static_cast<int64_t>(o.seed), o.n_jobs},
                                           torch::kInt64));
  archive.write("rf/shape", torch::tensor({num_features_, num_classes_}, torch::kInt64));
  // Trees concatenated; node_offsets/leaf_offsets [n_trees + 1] delimit them.
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
  archive.write("rf/node_offsets", vector_tensor(node_offsets, torch::kInt64));
  archive.write("rf/leaf_offsets", vector_tensor(leaf_offsets, torch::kInt64));
  archive.write("rf/feature", vector_tensor(feature, torch::kInt32));
  archive.write("rf/threshold", vector_tensor(threshold, torch::kFloat64));
  archive.write("rf/left", vector_tensor(left, torch::kInt32));
  archive.write("rf/right", vector_tensor(right, torch::kInt32));
  archive.write("rf/leaf_values", vector_tensor(leaf_values, torch::kFloat64).view({-1, num_classes_}));
  archive.write("rf/importances", tree_importances());
}

void RandomForest::load(torch::serialize::InputArchive& archive) {
  auto read = [&](const char* key, torch::ScalarType type) {
    torch::Tensor t;
    archive.read(std::string("rf/") + key, t);
    if (t.scalar_type() != type) throw IoError(fmt::format("random_forest load: rf/{} has the wrong dtype", key));
    return t.contiguous();
  };
  const torch::Tensor opt = read("options", torch::kInt64), shape = read("shape", torch::kInt64);
  if (opt.numel() != 8 || shape.numel() != 2) throw IoError("random_forest load: malformed rf/options or rf/shape");
  const int64_t* op = opt.data_ptr<int64_t>();
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
  const int64_t d = shape[0].item<int64_t>(), c = shape[1].item<int64_t>();
  if (d < 1 || c < 1) throw IoError(fmt::format("random_forest load: bad shape [{}, {}]", d, c));
  const torch::Tensor node_offsets = read("node_offsets", torch::kInt64), leaf_offsets = read("leaf_offsets", torch::kInt64);
  const torch::Tensor feature = read("feature", torch::kInt32), threshold = read("threshold", torch::kFloat64);
  const torch::Tensor left = read("left", torch::kInt32), right = read("right", torch::kInt32);
  const torch::Tensor leaf_values = read("leaf_values", torch::kFloat64), importances = read("importances", torch::kFloat64);
  const int64_t n_trees = node_offsets.numel() - 1;
  const int64_t n_nodes = feature.numel();
  if (n_trees < 1 || leaf_offsets.numel() != n_trees + 1 || threshold.numel() != n_nodes || left.numel() != n_nodes ||
      right.numel() != n_nodes || leaf_values.dim() != 2 || leaf_values.size(1) != c ||
      importances.sizes() != torch::IntArrayRef({n_trees, d})) {
    throw IoError("random_forest load: inconsistent tree arrays");
  }
  const int64_t* no = node_offsets.data_ptr<int64_t>();
  const int64_t* lo = leaf_offsets.data_ptr<int64_t>();
  if (no[n_trees] != n_nodes || lo[n_trees] != leaf_values.size(0)) throw IoError("random_forest load: bad offsets");
  std::vector<ForestTree> trees(static_cast<size_t>(n_trees));
  for (int64_t t = 0; t < n_trees; ++t) {
    const int64_t a = no[t], b = no[t + 1], la = lo[t], lb = lo[t + 1];
    if (a >= b || la >= lb) throw IoError("random_forest load: bad offsets");
    ForestTree& tree = trees[t];
    tree.feature.assign(feature.data_ptr<int32_t>() + a, feature.data_ptr<int32_t>() + b);
    tree.threshold.assign(threshold.data_ptr<double>() + a, threshold.data_ptr<double>() + b);
    tree.left.assign(left.data_ptr<int32_t>() + a, left.data_ptr<int32_t>() + b);
    tree.right.assign(right.data_ptr<int32_t>() + a, right.data_ptr<int32_t>() + b);
    tree.leaf_values.assign(leaf_values.data_ptr<double>() + la * c, leaf_values.data_ptr<double>() + lb * c);
    // Every index must stay inside the tree, so that predict cannot read out of bounds.
    const int64_t nodes = b - a, leaves = lb - la;
    for (int64_t i = 0; i < nodes; ++i) {
      const bool ok = tree.feature[i] < 0 ? (tree.left[i] >= 0 && tree.left[i] < leaves)
                                          : (tree.feature[i] < d && tree.left[i] > i && tree.left[i] < nodes &&
                                             tree.right[i] > i && tree.right[i] < nodes);
      if (!ok) throw IoError(fmt::format("random_forest load: tree {} node {} is malformed", t, i));
    }
  }
  options_ = o;
  num_features_ = d;
  num_classes_ = c;
  trees_ = std::move(trees);
  importances_.assign(importances.data_ptr<double>(), importances.data_ptr<double>() + n_trees * d);
}

}  // namespace lrid

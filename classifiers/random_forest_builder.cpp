// The random forest's tree builder. See random_forest_builder.h.
#include "classifiers/random_forest_builder.h"

#include <algorithm>
#include <cmath>

namespace lrid {
namespace {

constexpr double kForestEpsilon = std::numeric_limits<double>::epsilon();  // sklearn's purity test
// Bin by rank when the node's rank range is at most this many times its sample count.
constexpr int64_t kHistogramFactor = 16;
// Largest rank-bin table (distinct values x classes, doubles) a thread may hold; beyond it, always sort.
constexpr int64_t kMaxHistogramCells = int64_t{1} << 22;

// Uniform integer in [0, n) (Lemire's multiply-shift; the bias is < n / 2^64).
inline uint64_t uniform_below(std::mt19937_64& rng, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(rng()) * n) >> 64);
}

// The candidate split after the node's first n_left samples (class weights in
// s.left, sum w_left), between ranks lo and hi; kept when its proxy is the best yet.
inline void consider_split(const ForestTreeBuilder::NodeScan& s, int32_t n_left, double w_left, uint32_t lo,
                           uint32_t hi, ForestSplit& best) {
  if (n_left < s.min_leaf || s.n_node - n_left < s.min_leaf) return;
  const double w_right = s.w - w_left;
  double sq_left = 0, sq_right = 0;
  for (int64_t k = 0; k < s.c; ++k) {
    const double r = s.total[k] - s.left[k];
    sq_left += s.left[k] * s.left[k];
    sq_right += r * r;
  }
  const double proxy = sq_left / w_left + sq_right / w_right;
  if (proxy > best.proxy) best = {s.feature, lo, hi, proxy};
}

}  // namespace

ForestTrainData rank_forest_features(const double* x, const int64_t* y, int64_t n, int64_t d, int64_t c) {
  ForestTrainData data;
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

int64_t resolve_max_features(const std::string& mode, int64_t d) {
  if (mode == "sqrt") return std::max<int64_t>(1, static_cast<int64_t>(std::sqrt(static_cast<double>(d))));
  if (mode == "log2") return std::max<int64_t>(1, static_cast<int64_t>(std::log2(static_cast<double>(d))));
  return d;
}

ForestTreeBuilder::ForestTreeBuilder(const ForestTrainData& data, const RandomForestOptions& options)
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

ForestTree ForestTreeBuilder::build(uint64_t seed, double* importances) {
  const int64_t d = data_.d;
  rng_.seed(seed);
  draw_bootstrap();
  std::fill(importances, importances + d, 0.0);
  ForestTree tree;
  stack_.clear();
  stack_.push_back({0, static_cast<int32_t>(samples_.size()), 0, -1, false, 0});
  double root_weight = 0;
  while (!stack_.empty()) {
    const StackEntry e = stack_.back();
    stack_.pop_back();
    const double w = class_weights(e.start, e.end);
    if (e.parent < 0) root_weight = w;
    grow_node(tree, e, w, importances);
  }
  // Mean decrease in impurity per root weight, then normalised to sum 1 (sklearn).
  double sum = 0;
  for (int64_t f = 0; f < d; ++f) sum += (importances[f] /= root_weight);
  if (sum > 0)
    for (int64_t f = 0; f < d; ++f) importances[f] /= sum;
  tree.feature.shrink_to_fit();
  tree.threshold.shrink_to_fit();
  tree.left.shrink_to_fit();
  tree.right.shrink_to_fit();
  tree.leaf_values.shrink_to_fit();
  return tree;
}

// Bootstrap: n draws with replacement; the counts are sample weights, and
// samples never drawn take no part (as in sklearn).
void ForestTreeBuilder::draw_bootstrap() {
  const int64_t n = data_.n;
  if (options_.bootstrap) {
    std::fill(weight_.begin(), weight_.end(), 0.0);
    for (int64_t i = 0; i < n; ++i) weight_[uniform_below(rng_, n)] += 1.0;
  } else {
    std::fill(weight_.begin(), weight_.end(), 1.0);
  }
  samples_.clear();
  for (int64_t i = 0; i < n; ++i)
    if (weight_[i] > 0) samples_.push_back(static_cast<int32_t>(i));
  for (int64_t f = 0; f < data_.d; ++f) features_[f] = static_cast<int32_t>(f);
}

// Fills totals_ with the class weights of samples_[start, end); returns their sum.
double ForestTreeBuilder::class_weights(int32_t start, int32_t end) {
  std::fill(totals_.begin(), totals_.end(), 0.0);
  double w = 0;
  for (int32_t i = start; i < end; ++i) {
    const int32_t s = samples_[i];
    totals_[data_.y[s]] += weight_[s];
    w += weight_[s];
  }
  return w;
}

// Turns node e (class weights in totals_, weight w) into a leaf, or splits it
// and pushes its children: depth first, left child first (sklearn's DepthFirstTreeBuilder).
void ForestTreeBuilder::grow_node(ForestTree& tree, const StackEntry& e, double w, double* importances) {
  const int32_t n_node = e.end - e.start;
  const double impurity = gini(totals_.data(), w);
  bool leaf = (options_.max_depth >= 0 && e.depth >= options_.max_depth) || n_node < options_.min_samples_split ||
              n_node < 2 * options_.min_samples_leaf || impurity <= kForestEpsilon;
  ForestSplit split;
  int32_t n_constant = e.n_constant;
  if (!leaf) {
    split = best_split(e.start, e.end, w, n_constant);
    leaf = split.feature < 0;
  }
  const int32_t id = static_cast<int32_t>(tree.feature.size());
  if (e.parent >= 0) (e.is_left ? tree.left : tree.right)[e.parent] = id;
  if (leaf) {
    add_leaf(tree, w);
    return;
  }
  add_split(tree, split);
  int32_t middle = 0;
  const double w_left = partition(e.start, e.end, split, middle);
  const double w_right = w - w_left;
  for (int64_t k = 0; k < data_.c; ++k) totals_[k] -= left_[k];  // now the right class weights
  importances[split.feature] +=
      w * impurity - w_left * gini(left_.data(), w_left) - w_right * gini(totals_.data(), w_right);
  stack_.push_back({middle, e.end, e.depth + 1, id, false, n_constant});
  stack_.push_back({e.start, middle, e.depth + 1, id, true, n_constant});
}

void ForestTreeBuilder::add_leaf(ForestTree& tree, double w) const {
  tree.feature.push_back(-1);
  tree.threshold.push_back(0.0);
  tree.left.push_back(static_cast<int32_t>(tree.leaf_values.size() / data_.c));
  tree.right.push_back(-1);
  for (int64_t k = 0; k < data_.c; ++k) tree.leaf_values.push_back(totals_[k] / w);
}

// A split node at the midpoint threshold; sklearn falls back to the left value
// when rounding makes the midpoint equal the right value. Children are linked later.
void ForestTreeBuilder::add_split(ForestTree& tree, const ForestSplit& split) const {
  const std::vector<double>& values = data_.values[split.feature];
  const double lo = values[split.rank_left], hi = values[split.rank_right];
  double threshold = lo / 2.0 + hi / 2.0;
  if (threshold == hi || std::isinf(threshold)) threshold = lo;
  tree.feature.push_back(split.feature);
  tree.threshold.push_back(threshold);
  tree.left.push_back(-1);
  tree.right.push_back(-1);
}

// Stable partition of samples_[start, end) (left: rank <= rank_left) at `middle`,
// counting the left class weights into left_; returns their sum. Stable keeps each
// node's samples in increasing order, so the rank gathers of the split search walk
// memory forwards.
double ForestTreeBuilder::partition(int32_t start, int32_t end, const ForestSplit& split, int32_t& middle) {
  const uint32_t* rank = data_.rank.data() + static_cast<int64_t>(split.feature) * data_.n;
  std::fill(left_.begin(), left_.end(), 0.0);
  double w_left = 0;
  int32_t i = start, n_right = 0;
  for (int32_t k = start; k < end; ++k) {
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
  middle = i;
  return w_left;
}

double ForestTreeBuilder::gini(const double* counts, double w) const {
  double sq = 0;
  for (int64_t k = 0; k < data_.c; ++k) sq += counts[k] * counts[k];
  return 1.0 - sq / (w * w);
}

// The split search, fit's hot loop: gather_keys and the two scans are inlined into
// evaluate_feature (one loop nest, as before they were separate functions) so that
// the node's values stay in registers.

// keys_[0, n_node) = (rank << 32 | sample) of the node's samples for feature f, with their rank range.
[[gnu::always_inline]] inline void ForestTreeBuilder::gather_keys(int32_t f, int32_t start, int32_t n_node,
                                                                  uint32_t& rmin, uint32_t& rmax) {
  const uint32_t* rank = data_.rank.data() + static_cast<int64_t>(f) * data_.n;
  uint64_t* keys = keys_.data();
  rmin = std::numeric_limits<uint32_t>::max();
  rmax = 0;
  for (int32_t i = 0; i < n_node; ++i) {
    const uint32_t s = static_cast<uint32_t>(samples_[start + i]);
    const uint32_t r = rank[s];
    rmin = std::min(rmin, r);
    rmax = std::max(rmax, r);
    keys[i] = (static_cast<uint64_t>(r) << 32) | s;
  }
}

// Bins the class weights by rank, then walks the bins in order; empty bins are
// skipped, used bins cleared as read.
[[gnu::always_inline]] inline void ForestTreeBuilder::scan_bins(NodeScan s, uint32_t rmin, int64_t range,
                                                                ForestSplit& best) {
  const int64_t c = s.c;
  const uint64_t* keys = keys_.data();
  int32_t* hist_n = hist_n_.data();
  double* hist_w = hist_w_.data();
  double* left = s.left;
  for (int32_t i = 0; i < s.n_node; ++i) {
    const uint32_t r = static_cast<uint32_t>(keys[i] >> 32) - rmin;
    const uint32_t sample = static_cast<uint32_t>(keys[i]);
    ++hist_n[r];
    hist_w[static_cast<int64_t>(r) * c + data_.y[sample]] += weight_[sample];
  }
  int32_t n_left = 0;
  double w_left = 0;
  int64_t prev = -1;
  for (int64_t r = 0; r < range; ++r) {
    if (hist_n[r] == 0) continue;
    if (prev >= 0)
      consider_split(s, n_left, w_left, static_cast<uint32_t>(prev) + rmin, static_cast<uint32_t>(r) + rmin, best);
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
}

// Sorts the keys (rank, then sample) and walks them, one candidate per change of rank.
[[gnu::always_inline]] inline void ForestTreeBuilder::scan_sorted(NodeScan s, ForestSplit& best) {
  uint64_t* keys = keys_.data();
  double* left = s.left;
  std::sort(keys, keys + s.n_node);
  uint32_t prev = static_cast<uint32_t>(keys[0] >> 32);
  double w_left = 0;
  for (int32_t i = 0; i < s.n_node; ++i) {
    const uint32_t r = static_cast<uint32_t>(keys[i] >> 32);
    const uint32_t sample = static_cast<uint32_t>(keys[i]);
    if (r != prev) {
      consider_split(s, i, w_left, prev, r, best);
      prev = r;
    }
    left[data_.y[sample]] += weight_[sample];
    w_left += weight_[sample];
  }
}

// Scans every threshold of feature f in the node and updates `best`; false if f is constant.
bool ForestTreeBuilder::evaluate_feature(int32_t f, int32_t start, int32_t end, double w, ForestSplit& best) {
  const int32_t n_node = end - start;
  uint32_t rmin = 0, rmax = 0;
  gather_keys(f, start, n_node, rmin, rmax);
  if (rmin == rmax) return false;
  std::fill(left_.begin(), left_.end(), 0.0);
  const NodeScan scan{f, n_node, w, static_cast<int32_t>(options_.min_samples_leaf), data_.c, totals_.data(),
                      left_.data()};
  const int64_t range = static_cast<int64_t>(rmax - rmin) + 1;
  if (!hist_n_.empty() && range <= kHistogramFactor * n_node) {
    scan_bins(scan, rmin, range, best);
  } else {
    scan_sorted(scan, best);
  }
  return true;
}

// sklearn's BestSplitter feature sampling: draw features without replacement
// until max_features were drawn and at least one was not constant in the node
// (or all were drawn). Features found constant are kept at the front of
// features_ so that descendants skip them without sorting.
ForestSplit ForestTreeBuilder::best_split(int32_t start, int32_t end, double w, int32_t& n_constant) {
  const int32_t d = static_cast<int32_t>(data_.d);
  const int32_t n_known = n_constant;
  int32_t n_found = 0, n_drawn_constants = 0, n_total = n_known, f_i = d, n_visited = 0;
  ForestSplit best;
  while (f_i > n_total && (n_visited < max_features_ || n_visited <= n_found + n_drawn_constants)) {
    ++n_visited;
    int32_t f_j = n_drawn_constants + static_cast<int32_t>(uniform_below(rng_, f_i - n_found - n_drawn_constants));
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
  std::copy(features_.begin() + n_known, features_.begin() + n_known + n_found, constant_features_.begin() + n_known);
  n_constant = n_total;
  return best;
}

}  // namespace lrid

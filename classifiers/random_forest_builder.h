// The tree builder of the random forest (random_forest.h): the training
// features ranked once per fit, then one scikit-learn-style Gini tree per call
// (bootstrap weights, BestSplitter feature sampling, depth-first growth).
// Shared by the forest's fit (random_forest.cpp) and its tests.
//
// Speed: each feature is ranked once per fit (dense ranks of its distinct
// values), so a node's split search for a candidate feature works on uint32
// ranks: when the node's rank range is small relative to its sample count the
// class weights are binned by rank (no sort), otherwise (rank << 32 | sample)
// keys are sorted as plain integers. Either way the candidate thresholds and
// the chosen split are exactly those of a sort of the node's values.
#pragma once
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "classifiers/random_forest.h"

namespace lrid {

// Read-only training data shared by the tree-building threads.
struct ForestTrainData {
  int64_t n = 0, d = 0, c = 0;
  std::vector<uint32_t> rank;               // [d, n]: dense rank of x[i, f] among feature f's values
  std::vector<std::vector<double>> values;  // per feature: its sorted distinct values
  std::vector<int32_t> y;                   // [n]
  int64_t max_distinct = 0;                 // the most distinct values of any feature
};

// x: [n, d] row-major, y: [n] in [0, c).
ForestTrainData rank_forest_features(const double* x, const int64_t* y, int64_t n, int64_t d, int64_t c);

// sklearn's max_features: max(1, int(sqrt(d))), max(1, int(log2(d))), or d ("all").
int64_t resolve_max_features(const std::string& mode, int64_t d);

// The best split of a node so far, as ranks of feature `feature`: samples with
// rank <= rank_left go left; rank_right is the next rank present in the node.
struct ForestSplit {
  int32_t feature = -1;
  uint32_t rank_left = 0, rank_right = 0;
  double proxy = -std::numeric_limits<double>::infinity();  // sum_k L_k^2/wL + sum_k R_k^2/wR
};

// Grows one tree at a time, reusing its buffers across nodes and trees (one per thread).
class ForestTreeBuilder {
 public:
  ForestTreeBuilder(const ForestTrainData& data, const RandomForestOptions& options);

  // The tree grown from generator seed `seed`; fills `importances` [d] with its
  // Gini importances (mean decrease in impurity per root weight, normalised to sum 1).
  ForestTree build(uint64_t seed, double* importances);

  // The search of one feature in one node: the feature, the node's sample count,
  // weight and class weights [c], the minimum leaf size, and the class weights
  // [c] of the samples left of the current candidate (left_). Passed by value
  // so that the scan loops keep it in registers.
  struct NodeScan {
    int32_t feature, n_node;
    double w;
    int32_t min_leaf;
    int64_t c;
    const double* total;
    double* left;
  };

 private:
  struct StackEntry {
    int32_t start, end, depth, parent;
    bool is_left;
    int32_t n_constant;  // features known to be constant in this node (sklearn's bookkeeping)
  };

  void draw_bootstrap();
  double class_weights(int32_t start, int32_t end);
  void grow_node(ForestTree& tree, const StackEntry& e, double w, double* importances);
  void add_leaf(ForestTree& tree, double w) const;
  void add_split(ForestTree& tree, const ForestSplit& split) const;
  double partition(int32_t start, int32_t end, const ForestSplit& split, int32_t& middle);
  double gini(const double* counts, double w) const;
  ForestSplit best_split(int32_t start, int32_t end, double w, int32_t& n_constant);
  bool evaluate_feature(int32_t f, int32_t start, int32_t end, double w, ForestSplit& best);
  void gather_keys(int32_t f, int32_t start, int32_t n_node, uint32_t& rmin, uint32_t& rmax);
  void scan_bins(NodeScan s, uint32_t rmin, int64_t range, ForestSplit& best);
  void scan_sorted(NodeScan s, ForestSplit& best);

  const ForestTrainData& data_;
  const RandomForestOptions& options_;
  const int64_t max_features_;
  std::mt19937_64 rng_;
  std::vector<double> weight_;              // [n] bootstrap counts
  std::vector<int32_t> samples_;            // samples with weight > 0, partitioned node by node
  std::vector<int32_t> right_samples_;      // [n] scratch of the partition
  std::vector<uint64_t> keys_;              // [n] (rank << 32 | sample) of the node
  std::vector<int32_t> features_;           // [d] sklearn's feature order (known constants first)
  std::vector<int32_t> constant_features_;  // [d]
  std::vector<int32_t> hist_n_;             // [max_distinct] samples per rank bin (empty: never bin)
  std::vector<double> hist_w_;              // [max_distinct, c] class weights per rank bin
  std::vector<double> totals_, left_;       // [c]
  std::vector<StackEntry> stack_;
};

}  // namespace lrid

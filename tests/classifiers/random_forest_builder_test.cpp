// The random forest's tree builder (random_forest_builder.h): dense ranks,
// sklearn's max_features, and single trees grown on data small enough to draw:
// thresholds at midpoints, Gini importances, min_samples_leaf, determinism.
#include "classifiers/random_forest_builder.h"

#include <gtest/gtest.h>

#include <vector>

namespace lrid {
namespace {

// x [n, d] row-major and labels, ranked.
ForestTrainData ranked(const std::vector<double>& x, const std::vector<int64_t>& y, int64_t d, int64_t c) {
  return rank_forest_features(x.data(), y.data(), static_cast<int64_t>(y.size()), d, c);
}

RandomForestOptions without_bootstrap() {
  RandomForestOptions o;
  o.bootstrap = false;
  o.max_features = "all";
  return o;
}

TEST(ForestBuilder, DenseRanksOfEachFeature) {
  // Feature 0: {3, 1, 3, 2} -> ranks {2, 0, 2, 1}; feature 1: constant -> all 0.
  const ForestTrainData data = ranked({3, 5, 1, 5, 3, 5, 2, 5}, {0, 1, 0, 1}, 2, 2);
  EXPECT_EQ(std::vector<uint32_t>(data.rank.begin(), data.rank.begin() + 4), (std::vector<uint32_t>{2, 0, 2, 1}));
  EXPECT_EQ(std::vector<uint32_t>(data.rank.begin() + 4, data.rank.end()), (std::vector<uint32_t>{0, 0, 0, 0}));
  EXPECT_EQ(data.values[0], (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(data.values[1], (std::vector<double>{5}));
  EXPECT_EQ(data.max_distinct, 3);
  EXPECT_EQ(data.y, (std::vector<int32_t>{0, 1, 0, 1}));
}

TEST(ForestBuilder, MaxFeaturesAsScikitLearn) {
  EXPECT_EQ(resolve_max_features("sqrt", 10), 3);   // int(3.16)
  EXPECT_EQ(resolve_max_features("log2", 10), 3);   // int(3.32)
  EXPECT_EQ(resolve_max_features("sqrt", 504), 22);  // 3 + 24·21 features: int(22.4)
  EXPECT_EQ(resolve_max_features("log2", 1), 1);    // max(1, int(0))
  EXPECT_EQ(resolve_max_features("all", 7), 7);
}

TEST(ForestBuilder, OneSplitAtTheMidpointWithFullImportance) {
  // Classes {0, 0, 1, 1} at x = {0, 1, 4, 5}: one split at (1 + 4) / 2 = 2.5, two pure leaves.
  const ForestTrainData data = ranked({0, 1, 4, 5}, {0, 0, 1, 1}, 1, 2);
  const RandomForestOptions o = without_bootstrap();
  ForestTreeBuilder builder(data, o);
  double importance = -1;
  const ForestTree tree = builder.build(1, &importance);
  EXPECT_EQ(tree.feature, (std::vector<int32_t>{0, -1, -1}));
  EXPECT_EQ(tree.threshold[0], 2.5);
  EXPECT_EQ(tree.left[0], 1);
  EXPECT_EQ(tree.right[0], 2);
  EXPECT_EQ(tree.leaf_values, (std::vector<double>{1, 0, 0, 1}));  // left leaf class 0, right leaf class 1
  EXPECT_EQ(importance, 1.0);
}

TEST(ForestBuilder, GiniImportancesOfTwoLevels) {
  // x0 separates class 0 from {1, 2}, x1 class 2 from {0, 1}. Root: 6 rows, classes 2/2/2,
  // Gini 2/3; either split leaves a pure pair and 4 rows 2/2 (Gini 1/2), which the other
  // feature splits into pure leaves. Decreases: 6·2/3 - 4·1/2 = 2 and 4·1/2 = 2; normalised 1/2 each.
  const std::vector<double> x = {0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1};
  const ForestTrainData data = ranked(x, {0, 0, 1, 1, 2, 2}, 2, 3);
  const RandomForestOptions o = without_bootstrap();
  ForestTreeBuilder builder(data, o);
  double importances[2] = {-1, -1};
  const ForestTree tree = builder.build(3, importances);
  EXPECT_EQ(tree.feature.size(), 5u);  // two splits, three leaves
  EXPECT_NEAR(importances[0], 0.5, 1e-12);
  EXPECT_NEAR(importances[1], 0.5, 1e-12);
}

TEST(ForestBuilder, MinSamplesLeafForbidsSmallChildren) {
  // The pure split after the first row would leave one row on the left; with
  // min_samples_leaf 2 the best allowed split is after the second row.
  const ForestTrainData data = ranked({0, 1, 2, 3, 4, 5}, {0, 1, 1, 1, 1, 1}, 1, 2);
  RandomForestOptions o = without_bootstrap();
  o.min_samples_leaf = 2;
  ForestTreeBuilder builder(data, o);
  double importance = 0;
  const ForestTree tree = builder.build(0, &importance);
  EXPECT_EQ(tree.threshold[0], 1.5);
}

TEST(ForestBuilder, SameSeedSameTreeAcrossBuilders) {
  std::vector<double> x;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < 200; ++i) {
    x.push_back(static_cast<double>((i * 37) % 101));
    x.push_back(static_cast<double>((i * 11) % 7));
    x.push_back(static_cast<double>(i % 13) / 3.0);
    y.push_back((i * 37) % 101 > 50 ? 1 : (i % 13 > 6 ? 2 : 0));
  }
  const ForestTrainData data = ranked(x, y, 3, 3);
  RandomForestOptions o;
  o.max_features = "sqrt";
  ForestTreeBuilder a(data, o), b(data, o);
  std::vector<double> ia(3), ib(3);
  const ForestTree other = a.build(8, ia.data());  // a builder's buffers carry over from tree to tree
  const ForestTree ta = a.build(7, ia.data()), tb = b.build(7, ib.data());
  EXPECT_EQ(ta.feature, tb.feature);
  EXPECT_EQ(ta.threshold, tb.threshold);
  EXPECT_EQ(ta.leaf_values, tb.leaf_values);
  EXPECT_EQ(ia, ib);
  EXPECT_NE(other.threshold, ta.threshold);
}

}  // namespace
}  // namespace lrid

// Random forest: parity with scikit-learn (golden data from
// tests/golden/make_forest_golden.py), hand-checkable trees, determinism and
// validation (save/load: random_forest_archive_test.cpp; the tree builder:
// random_forest_builder_test.cpp).
#include "classifiers/random_forest.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <limits>
#include <numeric>

#include "classifiers/number_tables.h"
#include "core/errors.h"
#include "core/json.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

const std::string kForestGolden = std::string(LRID_SOURCE_DIR) + "/tests/golden/forest/";

using Table = number_tables::LabelledTable;

Table load_table(const std::string& name) { return number_tables::read_labelled_table(kForestGolden + name + ".csv"); }

// A forest with options `o` fitted on every row of `t`.
RandomForest fitted_on(const Table& t, const RandomForestOptions& o) {
  RandomForest rf(o);
  rf.fit(t.x, t.y, t.num_classes);
  return rf;
}

// (train, test) row indices of each golden split.
std::vector<std::pair<torch::Tensor, torch::Tensor>> load_splits(const std::string& name, int64_t n) {
  std::vector<std::pair<torch::Tensor, torch::Tensor>> splits;
  for (const auto& test : number_tables::read_number_rows(kForestGolden + name + "_splits.csv"))
    splits.push_back(number_tables::train_test_rows(test, n));
  return splits;
}

const Json& forest_golden() {
  static const Json g = read_json(kForestGolden + "sklearn.json");
  return g;
}

double mean_of(const Json& list) {
  double s = 0;
  for (const auto& v : list) s += v.get<double>();
  return s / static_cast<double>(list.size());
}

double accuracy(const torch::Tensor& pred, const torch::Tensor& y) {
  return pred.eq(y).to(torch::kFloat64).mean().item<double>();
}

// Mean test accuracy of our forest over a table's ten golden splits.
double mean_split_accuracy(const std::string& name, const std::string& max_features) {
  const Table t = load_table(name);
  const auto splits = load_splits(name, t.x.size(0));
  EXPECT_EQ(splits.size(), 10u);
  double sum = 0;
  for (const auto& [train, test] : splits) {
    RandomForestOptions o;
    o.max_features = max_features;
    o.n_jobs = 2;
    RandomForest rf(o);
    rf.fit(t.x.index_select(0, train), t.y.index_select(0, train), t.num_classes);
    sum += accuracy(rf.predict(t.x.index_select(0, test)), t.y.index_select(0, test));
  }
  return sum / static_cast<double>(splits.size());
}

// Spearman correlation (average ranks for ties).
double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t i, size_t j) { return v[i] < v[j]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < order.size();) {
      size_t j = i;
      while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
      for (size_t k = i; k <= j; ++k) r[order[k]] = 0.5 * static_cast<double>(i + j);
      i = j + 1;
    }
    return r;
  };
  const auto ra = ranks(a), rb = ranks(b);
  const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / ra.size();
  const double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / rb.size();
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

std::vector<double> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

// --- Parity with scikit-learn ------------------------------------------------

// Mean accuracy over a table's ten splits within 1.5 points of sklearn's (golden key accuracy_<max_features>).
void expect_accuracy_parity(const std::string& table, const std::string& max_features) {
  const double ours = mean_split_accuracy(table, max_features);
  const double theirs = mean_of(forest_golden()["tables"][table]["accuracy_" + max_features]);
  std::printf("%s (%s) mean accuracy: lrid %.4f, sklearn %.4f\n", table.c_str(), max_features.c_str(), ours, theirs);
  EXPECT_NEAR(ours, theirs, 0.015) << "sklearn " << theirs;
}

TEST(RandomForestSklearn, DigitsAccuracy) { expect_accuracy_parity("digits", "sqrt"); }
TEST(RandomForestSklearn, WineAccuracy) { expect_accuracy_parity("wine", "sqrt"); }
TEST(RandomForestSklearn, WineAccuracyAllFeatures) { expect_accuracy_parity("wine", "all"); }
TEST(RandomForestSklearn, BreastCancerAccuracy) { expect_accuracy_parity("breast_cancer", "sqrt"); }

TEST(RandomForestSklearn, SyntheticImportances) {
  RandomForestOptions o;
  o.n_estimators = 200;
  o.n_jobs = 2;
  const RandomForest rf = fitted_on(load_table("synthetic"), o);
  const std::vector<double> ours = to_vector(rf.feature_importances());
  std::vector<double> theirs;
  for (const auto& v : forest_golden()["synthetic"]["feature_importances"]) theirs.push_back(v.get<double>());
  ASSERT_EQ(ours.size(), theirs.size());
  EXPECT_NEAR(std::accumulate(ours.begin(), ours.end(), 0.0), 1.0, 1e-12);
  const double rho = spearman(ours, theirs);
  std::printf("importances: Spearman with sklearn %.3f\n", rho);
  EXPECT_GE(rho, 0.9);
  for (size_t f = 0; f < ours.size(); ++f) EXPECT_NEAR(ours[f], theirs[f], 0.03) << "feature " << f;
  // The five informative features (0-4) have the five largest importances.
  const double smallest_informative = *std::min_element(ours.begin(), ours.begin() + 5);
  const double largest_noise = *std::max_element(ours.begin() + 5, ours.end());
  EXPECT_GT(smallest_informative, largest_noise);
}

// --- Hand-checkable trees ----------------------------------------------------

TEST(RandomForest, SingleSplitAtMidpoint) {
  // One feature, classes separated between 1 and 2: one split at 1.5, importance 1.
  RandomForestOptions o;
  o.n_estimators = 3;
  o.bootstrap = false;
  RandomForest rf(o);
  rf.fit(torch::tensor({0.0, 1.0, 2.0, 3.0}, torch::kFloat64).view({4, 1}), torch::tensor({0, 0, 1, 1}, torch::kInt64), 2);
  for (const ForestTree& tree : rf.trees()) {
    ASSERT_EQ(tree.feature.size(), 3u);
    EXPECT_EQ(tree.feature[0], 0);
    EXPECT_DOUBLE_EQ(tree.threshold[0], 1.5);
  }
  EXPECT_TRUE(torch::equal(rf.tree_importances(), torch::ones({3, 1}, torch::kFloat64)));
  const torch::Tensor p = rf.predict_proba(torch::tensor({1.5, 1.6}, torch::kFloat64).view({2, 1}));
  EXPECT_TRUE(torch::equal(p, torch::tensor({1.0, 0.0, 0.0, 1.0}, torch::kFloat64).view({2, 2})));
}

TEST(RandomForest, KeepsDrawingPastConstantFeatures) {
  // max_features sqrt(2) = 1; feature 0 is constant, so every node must go on
  // to feature 1 (as sklearn's splitter does) and the trees split perfectly.
  RandomForestOptions o;
  o.n_estimators = 20;
  o.bootstrap = false;
  RandomForest rf(o);
  const torch::Tensor x = torch::tensor({5.0, 0.0, 5.0, 1.0, 5.0, 2.0, 5.0, 3.0}, torch::kFloat64).view({4, 2});
  const torch::Tensor y = torch::tensor({0, 0, 1, 1}, torch::kInt64);
  rf.fit(x, y, 2);
  for (const ForestTree& tree : rf.trees()) {
    ASSERT_EQ(tree.feature.size(), 3u);
    EXPECT_EQ(tree.feature[0], 1);
    EXPECT_DOUBLE_EQ(tree.threshold[0], 1.5);
  }
  EXPECT_TRUE(torch::equal(rf.feature_importances(), torch::tensor({0.0, 1.0}, torch::kFloat64)));
}

TEST(RandomForest, SingleLeafTreeHasZeroImportance) {
  RandomForestOptions o;
  o.n_estimators = 2;
  RandomForest rf(o);
  rf.fit(torch::rand({5, 3}, torch::kFloat64), torch::zeros({5}, torch::kInt64), 3);
  EXPECT_TRUE(torch::equal(rf.tree_importances(), torch::zeros({2, 3}, torch::kFloat64)));
  EXPECT_TRUE(torch::equal(rf.feature_importances(), torch::zeros({3}, torch::kFloat64)));
  EXPECT_TRUE(torch::equal(rf.predict(torch::rand({4, 3}, torch::kFloat64)), torch::zeros({4}, torch::kInt64)));
}

TEST(RandomForest, MaxDepthOneIsAStump) {
  RandomForestOptions o;
  o.n_estimators = 5;
  o.max_depth = 1;
  const RandomForest rf = fitted_on(load_table("wine"), o);
  for (const ForestTree& tree : rf.trees()) EXPECT_EQ(tree.feature.size(), 3u);
}

// --- Behaviour ---------------------------------------------------------------

TEST(RandomForest, PerfectFitWithoutBootstrap) {
  const Table t = load_table("breast_cancer");
  for (const std::string mf : {"sqrt", "all"}) {
    RandomForestOptions o;
    o.n_estimators = 10;
    o.bootstrap = false;
    o.max_features = mf;
    const RandomForest rf = fitted_on(t, o);
    EXPECT_EQ(accuracy(rf.predict(t.x), t.y), 1.0) << mf;
    // Pure leaves: every tree gives a one-hot distribution, so the average is exactly one-hot.
    EXPECT_TRUE(torch::equal(std::get<0>(rf.predict_proba(t.x).max(1)), torch::ones({t.x.size(0)}, torch::kFloat64))) << mf;
  }
}

TEST(RandomForest, ProbabilitiesSumToOneAndImportancesNormalised) {
  const Table t = load_table("digits");
  RandomForestOptions o;
  o.n_estimators = 30;
  RandomForest rf(o);
  rf.fit(t.x.slice(0, 0, 600), t.y.slice(0, 0, 600), t.num_classes);
  const torch::Tensor p = rf.predict_proba(t.x.slice(0, 600));
  ASSERT_EQ(p.sizes(), torch::IntArrayRef({t.x.size(0) - 600, 10}));
  EXPECT_TRUE(torch::allclose(p.sum(1), torch::ones({p.size(0)}, torch::kFloat64), 0, 1e-12));
  EXPECT_TRUE(p.ge(0).all().item<bool>());
  EXPECT_TRUE(torch::equal(rf.predict(t.x.slice(0, 600)), p.argmax(1)));
  const torch::Tensor ti = rf.tree_importances();
  ASSERT_EQ(ti.sizes(), torch::IntArrayRef({30, 64}));
  EXPECT_TRUE(torch::allclose(ti.sum(1), torch::ones({30}, torch::kFloat64), 0, 1e-12));
  EXPECT_NEAR(rf.feature_importances().sum().item<double>(), 1.0, 1e-12);
  EXPECT_EQ(rf.num_features(), 64);
  EXPECT_EQ(rf.num_classes(), 10);
}

TEST(RandomForest, DeterministicAcrossThreadCounts) {
  const Table t = load_table("breast_cancer");
  auto run = [&](int64_t n_jobs, uint64_t seed) {
    RandomForestOptions o;
    o.n_estimators = 40;
    o.n_jobs = n_jobs;
    o.seed = seed;
    const RandomForest rf = fitted_on(t, o);
    return std::make_pair(rf.predict_proba(t.x), rf.tree_importances());
  };
  const auto one = run(1, 7), two = run(2, 7), three = run(3, 7), other = run(2, 8);
  EXPECT_TRUE(torch::equal(one.first, two.first));
  EXPECT_TRUE(torch::equal(one.second, two.second));
  EXPECT_TRUE(torch::equal(one.first, three.first));
  EXPECT_TRUE(torch::equal(one.second, three.second));
  EXPECT_FALSE(torch::equal(one.first, other.first));
  EXPECT_FALSE(torch::equal(one.second, other.second));
}

// --- Validation --------------------------------------------------------------

TEST(RandomForest, InvalidOptionsThrowNamingTheField) {
  auto with = [](const std::function<void(RandomForestOptions&)>& edit) {
    return [edit] {
      RandomForestOptions o;
      edit(o);
      RandomForest rf(o);
    };
  };
  test::expect_error<ConfigError>(with([](auto& o) { o.n_estimators = 0; }), "n_estimators");
  test::expect_error<ConfigError>(with([](auto& o) { o.max_features = "half"; }), "max_features");
  test::expect_error<ConfigError>(with([](auto& o) { o.max_depth = 0; }), "max_depth");
  test::expect_error<ConfigError>(with([](auto& o) { o.min_samples_split = 1; }), "min_samples_split");
  test::expect_error<ConfigError>(with([](auto& o) { o.min_samples_leaf = 0; }), "min_samples_leaf");
  test::expect_error<ConfigError>(with([](auto& o) { o.n_jobs = -1; }), "n_jobs");
}

TEST(RandomForest, BadDataThrows) {
  RandomForest rf;
  torch::Tensor x = torch::rand({6, 2}, torch::kFloat64);
  const torch::Tensor y = torch::tensor({0, 1, 0, 1, 0, 1}, torch::kInt64);
  x[2][1] = std::nan("");
  test::expect_error<DataError>([&] { rf.fit(x, y, 2); }, "NaN");
  x[2][1] = std::numeric_limits<double>::infinity();
  test::expect_error<DataError>([&] { rf.fit(x, y, 2); }, "Inf");
  x[2][1] = 0.5;
  test::expect_error<DataError>([&] { rf.fit(x, y, 1); }, "label");
  test::expect_error<DataError>([&] { rf.predict(x); }, "not fitted");
  EXPECT_THROW(rf.fit(x.to(torch::kFloat32), y, 2), c10::Error);
  rf.fit(x, y, 2);
  EXPECT_THROW(rf.predict(x.slice(1, 0, 1)), c10::Error);
}

}  // namespace
}  // namespace lrid

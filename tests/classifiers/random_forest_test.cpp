// Random forest: parity with scikit-learn (golden data from
// tests/golden/make_forest_golden.py), hand-checkable trees, determinism,
// serialisation and validation.
#include "classifiers/random_forest.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>

#include "core/errors.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

const std::string kGolden = std::string(LRID_SOURCE_DIR) + "/tests/golden/forest/";

std::vector<std::vector<double>> read_csv(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<std::vector<double>> rows;
  std::string line, cell;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<double> row;
    std::stringstream ss(line);
    while (std::getline(ss, cell, ',')) row.push_back(std::stod(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

struct Table {
  torch::Tensor x, y;  // float64 [n, d], int64 [n]
  int64_t num_classes = 0;
};

// A golden table: rows "label,f0,f1,...".
Table load_table(const std::string& name) {
  const auto rows = read_csv(kGolden + name + ".csv");
  const int64_t n = static_cast<int64_t>(rows.size()), d = static_cast<int64_t>(rows.at(0).size()) - 1;
  Table t{torch::empty({n, d}, torch::kFloat64), torch::empty({n}, torch::kInt64)};
  auto x = t.x.accessor<double, 2>();
  auto y = t.y.accessor<int64_t, 1>();
  for (int64_t i = 0; i < n; ++i) {
    y[i] = static_cast<int64_t>(rows[i][0]);
    t.num_classes = std::max(t.num_classes, y[i] + 1);
    for (int64_t f = 0; f < d; ++f) x[i][f] = rows[i][f + 1];
  }
  return t;
}

// (train, test) row indices of each golden split.
std::vector<std::pair<torch::Tensor, torch::Tensor>> load_splits(const std::string& name, int64_t n) {
  std::vector<std::pair<torch::Tensor, torch::Tensor>> splits;
  for (const auto& test : read_csv(kGolden + name + "_splits.csv")) {
    std::vector<char> is_test(static_cast<size_t>(n), 0);
    std::vector<int64_t> tr, te;
    for (double v : test) is_test.at(static_cast<size_t>(v)) = 1;
    for (int64_t i = 0; i < n; ++i) (is_test[i] ? te : tr).push_back(i);
    splits.emplace_back(torch::tensor(tr, torch::kInt64), torch::tensor(te, torch::kInt64));
  }
  return splits;
}

YAML::Node golden() { return YAML::LoadFile(kGolden + "sklearn.json"); }  // JSON is YAML

double mean_of(const YAML::Node& list) {
  double s = 0;
  for (const auto& v : list) s += v.as<double>();
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

// Mean accuracy over the ten splits within 1.5 points of sklearn's.
void report(double ours, double theirs) {
  std::printf("mean accuracy: lrid %.4f, sklearn %.4f\n", ours, theirs);
  EXPECT_NEAR(ours, theirs, 0.015) << "sklearn " << theirs;
}

TEST(RandomForestSklearn, DigitsAccuracy) {
  const double ours = mean_split_accuracy("digits", "sqrt");
  const double theirs = mean_of(golden()["tables"]["digits"]["accuracy_sqrt"]);
  report(ours, theirs);
}

TEST(RandomForestSklearn, WineAccuracy) {
  const double ours = mean_split_accuracy("wine", "sqrt");
  const double theirs = mean_of(golden()["tables"]["wine"]["accuracy_sqrt"]);
  report(ours, theirs);
}

TEST(RandomForestSklearn, WineAccuracyAllFeatures) {
  const double ours = mean_split_accuracy("wine", "all");
  const double theirs = mean_of(golden()["tables"]["wine"]["accuracy_all"]);
  report(ours, theirs);
}

TEST(RandomForestSklearn, BreastCancerAccuracy) {
  const double ours = mean_split_accuracy("breast_cancer", "sqrt");
  const double theirs = mean_of(golden()["tables"]["breast_cancer"]["accuracy_sqrt"]);
  report(ours, theirs);
}

TEST(RandomForestSklearn, SyntheticImportances) {
  const Table t = load_table("synthetic");
  RandomForestOptions o;
  o.n_estimators = 200;
  o.n_jobs = 2;
  RandomForest rf(o);
  rf.fit(t.x, t.y, t.num_classes);
  const std::vector<double> ours = to_vector(rf.feature_importances());
  std::vector<double> theirs;
  for (const auto& v : golden()["synthetic"]["feature_importances"]) theirs.push_back(v.as<double>());
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
  const Table t = load_table("wine");
  RandomForestOptions o;
  o.n_estimators = 5;
  o.max_depth = 1;
  RandomForest rf(o);
  rf.fit(t.x, t.y, t.num_classes);
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
    RandomForest rf(o);
    rf.fit(t.x, t.y, t.num_classes);
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
    RandomForest rf(o);
    rf.fit(t.x, t.y, t.num_classes);
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

TEST(RandomForest, SaveLoadRoundTrip) {
  const Table t = load_table("wine");
  RandomForestOptions o;
  o.n_estimators = 25;
  o.max_features = "log2";
  o.seed = 3;
  RandomForest rf(o);
  rf.fit(t.x, t.y, t.num_classes);
  torch::serialize::OutputArchive out;
  rf.save(out);
  std::ostringstream bytes;
  out.save_to(bytes);

  std::istringstream in_bytes(bytes.str());
  torch::serialize::InputArchive in;
  in.load_from(in_bytes);
  RandomForest loaded;
  loaded.load(in);
  EXPECT_EQ(loaded.options().max_features, "log2");
  EXPECT_EQ(loaded.options().n_estimators, 25);
  EXPECT_EQ(loaded.options().seed, 3u);
  EXPECT_EQ(loaded.num_features(), 13);
  EXPECT_EQ(loaded.num_classes(), 3);
  const torch::Tensor probe = t.x + 0.1 * torch::randn_like(t.x);
  EXPECT_TRUE(torch::equal(loaded.predict_proba(probe), rf.predict_proba(probe)));
  EXPECT_TRUE(torch::equal(loaded.tree_importances(), rf.tree_importances()));
  EXPECT_TRUE(torch::equal(loaded.feature_importances(), rf.feature_importances()));
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

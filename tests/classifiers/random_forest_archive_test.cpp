// Random forest save/load (random_forest_archive.cpp): a round trip keeps
// options, trees and importances; a hand-written one-stump archive loads and
// predicts as drawn; malformed archives fail with IoError naming the problem.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <map>

#include "classifiers/archive_round_trip.h"
#include "classifiers/random_forest.h"
#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

// The rf/ tensors of one stump on feature 0 (d = 1, two classes): x <= 0.5 -> class 0, else class 1.
std::map<std::string, torch::Tensor> stump_tensors() {
  return {{"options", torch::tensor({1, 0, -1, 2, 1, 1, 9, 1}, torch::kInt64)},
          {"shape", torch::tensor({1, 2}, torch::kInt64)},
          {"node_offsets", torch::tensor({0, 3}, torch::kInt64)},
          {"leaf_offsets", torch::tensor({0, 2}, torch::kInt64)},
          {"feature", torch::tensor({0, -1, -1}, torch::kInt32)},
          {"threshold", torch::tensor({0.5, 0.0, 0.0}, torch::kFloat64)},
          {"left", torch::tensor({1, 0, 1}, torch::kInt32)},
          {"right", torch::tensor({2, -1, -1}, torch::kInt32)},
          {"leaf_values", torch::tensor({1.0, 0.0, 0.0, 1.0}, torch::kFloat64).view({2, 2})},
          {"importances", torch::ones({1, 1}, torch::kFloat64)}};
}

// A forest loaded from the stump's tensors after `edit`.
RandomForest load_stump(const std::function<void(std::map<std::string, torch::Tensor>&)>& edit) {
  auto tensors = stump_tensors();
  edit(tensors);
  torch::serialize::OutputArchive out;
  for (const auto& [key, t] : tensors) out.write("rf/" + key, t);
  torch::serialize::InputArchive in = test::reopened_archive(out);
  RandomForest forest;
  forest.load(in);
  return forest;
}

TEST(RandomForestArchive, HandWrittenStumpLoadsAndPredicts) {
  const RandomForest forest = load_stump([](auto&) {});
  EXPECT_EQ(forest.num_trees(), 1);
  EXPECT_EQ(forest.options().seed, 9u);
  EXPECT_EQ(forest.options().max_features, "sqrt");
  const torch::Tensor x = torch::tensor({0.2, 0.5, 0.9}, torch::kFloat64).view({3, 1});
  EXPECT_TRUE(forest.predict(x).equal(torch::tensor({0, 0, 1}, torch::kInt64)));
  EXPECT_TRUE(forest.feature_importances().equal(torch::ones({1}, torch::kFloat64)));
}

TEST(RandomForestArchive, MalformedArchivesNameTheProblem) {
  using Edit = std::function<void(std::map<std::string, torch::Tensor>&)>;
  const std::vector<std::pair<Edit, std::string>> cases = {
      {[](auto& t) { t["feature"] = t["feature"].to(torch::kInt64); }, "rf/feature has the wrong dtype"},
      {[](auto& t) { t["options"][1] = 7; }, "bad max_features code 7"},
      {[](auto& t) { t["shape"][1] = 0; }, "bad shape [1, 0]"},
      {[](auto& t) { t["threshold"] = torch::zeros({2}, torch::kFloat64); }, "inconsistent tree arrays"},
      {[](auto& t) { t["importances"] = torch::ones({1, 2}, torch::kFloat64); }, "inconsistent tree arrays"},
      {[](auto& t) { t["node_offsets"] = torch::tensor({0, 2}, torch::kInt64); }, "bad offsets"},
      {[](auto& t) { t["left"][0] = 0; }, "tree 0 node 0 is malformed"},    // a child before its parent
      {[](auto& t) { t["left"][2] = 5; }, "tree 0 node 2 is malformed"},    // a leaf row outside the tree
      {[](auto& t) { t["feature"][0] = 3; }, "tree 0 node 0 is malformed"},  // a feature the forest lacks
  };
  for (const auto& [edit, needle] : cases) test::expect_error<IoError>([&] { load_stump(edit); }, needle);
  // Options that load but are invalid fail as options do.
  test::expect_error<ConfigError>([] { load_stump([](auto& t) { t["options"][0] = 0; }); }, "n_estimators");
}

TEST(RandomForestArchive, SaveLoadRoundTrip) {
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({120, 6}, torch::kFloat64);
  const torch::Tensor y = (x.select(1, 0) + 0.3 * x.select(1, 1)).gt(0).to(torch::kInt64) +
                          x.select(1, 2).gt(1).to(torch::kInt64);  // three classes
  RandomForestOptions o;
  o.n_estimators = 25;
  o.max_features = "log2";
  o.seed = ~uint64_t{0} - 2;
  o.min_samples_leaf = 2;
  RandomForest rf(o);
  rf.fit(x, y, 3);
  RandomForest loaded;
  test::save_and_load(rf, loaded);
  EXPECT_EQ(loaded.options().max_features, "log2");
  EXPECT_EQ(loaded.options().n_estimators, 25);
  EXPECT_EQ(loaded.options().seed, o.seed);
  EXPECT_EQ(loaded.options().min_samples_leaf, 2);
  EXPECT_EQ(loaded.num_features(), 6);
  EXPECT_EQ(loaded.num_classes(), 3);
  ASSERT_EQ(loaded.num_trees(), 25);
  for (int64_t t = 0; t < 25; ++t) {
    EXPECT_EQ(loaded.trees()[t].feature, rf.trees()[t].feature);
    EXPECT_EQ(loaded.trees()[t].threshold, rf.trees()[t].threshold);
    EXPECT_EQ(loaded.trees()[t].leaf_values, rf.trees()[t].leaf_values);
  }
  const torch::Tensor probe = x + 0.1 * torch::randn_like(x);
  EXPECT_TRUE(torch::equal(loaded.predict_proba(probe), rf.predict_proba(probe)));
  EXPECT_TRUE(torch::equal(loaded.tree_importances(), rf.tree_importances()));
  EXPECT_TRUE(torch::equal(loaded.feature_importances(), rf.feature_importances()));
  RandomForest unfitted;
  torch::serialize::OutputArchive out;
  test::expect_error<DataError>([&] { unfitted.save(out); }, "not fitted");
}

}  // namespace
}  // namespace lrid

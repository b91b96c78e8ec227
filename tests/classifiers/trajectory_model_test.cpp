// The classifier adapters (trajectory_model.h): configurations parsed from
// grid strings, the 2-D and 3-D layouts, PCA size checks, the Conv1D "rows"
// batch and save/load through an archive.
#include "classifiers/trajectory_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "classifiers/archive_round_trip.h"
#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

// n rows of two separable classes: D = 2·T continuous columns, class 1 shifted by +3 in column 0.
struct AdapterData {
  torch::Tensor x, onehot, y;
};
AdapterData adapter_data(int64_t n, int64_t time_points) {
  torch::manual_seed(5);
  AdapterData a{torch::randn({n, 2 * time_points}, torch::kFloat64), torch::zeros({n, 3}, torch::kFloat64),
                torch::arange(n, torch::kInt64).remainder(2)};
  a.x.select(1, 0).add_(3.0 * a.y.to(torch::kFloat64));
  a.onehot.select(1, 0).fill_(1.0);
  return a;
}

// A model saved and loaded into a fresh model of the same configuration.
std::unique_ptr<TrajectoryModel> reloaded(const TrajectoryModel& m, const std::string& classifier,
                                          const GridConfig& config, int64_t time_points) {
  auto loaded = make_trajectory_model(classifier, config, time_points, 0, 1);
  test::save_and_load(m, *loaded);
  return loaded;
}

TEST(TrajectoryModel, PcaLargerThanTheDataIsAConfigError) {
  const AdapterData a = adapter_data(12, 3);  // 12 rows, 6 features
  auto m = make_trajectory_model("svm", {{"pca", "7"}, {"C", "1"}}, 3, 0, 1);
  test::expect_error<ConfigError>([&] { m->fit(a.x, a.onehot, a.y, 2); }, "pca=7");
  auto ok = make_trajectory_model("svm", {{"pca", "6"}, {"C", "1"}}, 3, 0, 1);
  ok->fit(a.x, a.onehot, a.y, 2);
  EXPECT_EQ(ok->scores(a.x, a.onehot).sizes(), torch::IntArrayRef({12, 2}));
}

TEST(TrajectoryModel, NonNumericValuesAreConfigErrorsNamingTheKey) {
  test::expect_error<ConfigError>([] { make_trajectory_model("rf", {{"n_estimators", "many"}}, 3, 0, 1); },
                                  "n_estimators=many: expected an integer");
  test::expect_error<ConfigError>([] { make_trajectory_model("svm", {{"pca", "none"}, {"C", "big"}}, 3, 0, 1); },
                                  "C=big: expected a number");
  test::expect_error<ConfigError>([] { make_trajectory_model("rf", {{"n_estimators", "0"}}, 3, 0, 1); },
                                  "n_estimators");
}

TEST(TrajectoryModel, ForestSeesTheOnehotInFront) {
  // The forest's features are [one-hot | continuous]: importances of the constant one-hot are 0,
  // column 3 (continuous column 0, the separating one) carries the most.
  const AdapterData a = adapter_data(60, 2);
  auto m = make_trajectory_model("rf", {{"max_features", "all"}, {"n_estimators", "11"}}, 2, 3, 1);
  m->fit(a.x, a.onehot, a.y, 2);
  const torch::Tensor imp = m->tree_importances().mean(0);
  ASSERT_EQ(imp.size(0), 3 + 4);
  EXPECT_EQ(imp.slice(0, 0, 3).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(imp.argmax().item<int64_t>(), 3);
  EXPECT_TRUE(m->predict(a.x, a.onehot).equal(a.y));
  const torch::Tensor scores = m->scores(a.x, a.onehot);
  EXPECT_TRUE(torch::allclose(scores.sum(1), torch::ones({60}, torch::kFloat64)));  // vote fractions
}

TEST(TrajectoryModel, SaveLoadGivesIdenticalScores) {
  const AdapterData a = adapter_data(40, 3);
  const std::vector<std::pair<std::string, GridConfig>> models = {
      {"rf", {{"max_features", "sqrt"}, {"n_estimators", "5"}}},
      {"svm", {{"pca", "2"}, {"C", "50"}}},
      {"conv1d", {{"lr", "0.001"}, {"kernel", "2"}, {"stride", "1"}, {"filters", "4"}, {"batch_size", "rows"},
                  {"pooling", "max"}, {"weight_decay", "0"}, {"epochs", "3"}}}};
  for (const auto& [name, config] : models) {
    auto m = make_trajectory_model(name, config, 3, 9, 1);
    m->fit(a.x, a.onehot, a.y, 2);
    EXPECT_TRUE(reloaded(*m, name, config, 3)->scores(a.x, a.onehot).equal(m->scores(a.x, a.onehot))) << name;
  }
}

TEST(TrajectoryModel, Conv1dRowsBatchTakesEveryTrainingRow) {
  // A batch of 512 cannot fit 40 rows; "rows" makes the batch the 40 training rows.
  const AdapterData a = adapter_data(40, 3);
  GridConfig config = {{"lr", "0.001"}, {"kernel", "3"}, {"stride", "1"}, {"filters", "4"}, {"batch_size", "512"},
                       {"pooling", "avg"}, {"weight_decay", "0"}, {"epochs", "2"}};
  auto too_big = make_trajectory_model("conv1d", config, 3, 0, 1);
  test::expect_error<ConfigError>([&] { too_big->fit(a.x, a.onehot, a.y, 2); }, "batch_size 512");
  config[4].second = "rows";
  auto rows = make_trajectory_model("conv1d", config, 3, 0, 1);
  rows->fit(a.x, a.onehot, a.y, 2);
  const torch::Tensor p = rows->scores(a.x, a.onehot);
  EXPECT_TRUE(torch::allclose(p.sum(1), torch::ones({40}, torch::kFloat64)));  // softmax
  // The kernel may not exceed the T = 3 time points.
  config[1].second = "4";
  EXPECT_THROW(make_trajectory_model("conv1d", config, 3, 0, 1), ConfigError);
}

}  // namespace
}  // namespace lrid

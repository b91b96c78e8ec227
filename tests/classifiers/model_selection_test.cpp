// Stages search, fit and score of one protocol split (model_selection.h):
// normalisation with training statistics only, first-best selection with
// invalid configurations skipped, the Conv1D fallback grid, the refit's seed
// and the scores of a model with known predictions.
#include "classifiers/model_selection.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "classifiers/classifier_test_data.h"
#include "core/errors.h"
#include "core/seeding.h"
#include "test_util.h"

namespace lrid {
namespace {

// Selected data and the first split of a separable synthetic dataset (4 rules, 16 rows each).
struct SelectionFixture {
  ProtocolOptions o;
  ProtocolResult r;
  ProtocolData p;
  SplitData d;
};
SelectionFixture separable_split(const std::string& classifier) {
  SelectionFixture f;
  f.o.classifier = classifier;
  f.o.grid = "fast";
  f.o.group_by = "row";  // the §6.3 stratified folds (grouped folds: grouped_splits_test)
  f.o.splits = 1;
  f.o.n_jobs = 1;
  f.o.seed = 4;
  // One informative observable per rule (rule r raises observable r): separable.
  f.o.observables = "actraw_mean,weightraw_mean,gradavgraw_id,actabs_median";
  const TrajectoryDataset data = testing::synthetic_trajectories(
      16, {"adam", "fa", "ia", "sgdm"}, {"actraw_mean", "weightraw_mean", "gradavgraw_id", "actabs_median"}, 20.0, 31,
      21, false);
  f.p = select_protocol_data(data, f.o, f.r);
  f.d = split_data(f.p, protocol_splits(f.p, f.o, f.r.class_names).front());
  return f;
}

TEST(ModelSelection, SplitDataNormalisesWithTrainingRowsOnly) {
  ProtocolData p;
  p.continuous = torch::tensor({0.0, 2.0, 10.0, 100.0}, torch::kFloat64).view({4, 1});
  p.onehot = torch::eye(3, torch::kFloat64).index_select(0, torch::tensor({0, 1, 2, 0}, torch::kInt64));
  p.y = torch::tensor({0, 1, 0, 1}, torch::kInt64);
  Split sp;
  sp.train = {0, 1};
  sp.test = {3, 2};
  const SplitData d = split_data(p, sp);
  // Training rows {0, 1} hold 0 and 2: mean 1, population std 1.
  EXPECT_DOUBLE_EQ(d.norm.mean.item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(d.norm.stddev.item<double>(), 1.0);
  EXPECT_TRUE(d.x_train.equal(torch::tensor({-1.0, 1.0}, torch::kFloat64).view({2, 1})));
  EXPECT_TRUE(d.x_test.equal(torch::tensor({99.0, 9.0}, torch::kFloat64).view({2, 1})));
  EXPECT_TRUE(d.y_test.equal(torch::tensor({1, 0}, torch::kInt64)));
  EXPECT_TRUE(d.onehot_test.equal(p.onehot.index_select(0, torch::tensor({3, 2}, torch::kInt64))));  // not normalised
}

TEST(ModelSelection, FirstBestWinsAndInvalidConfigurationsAreSkipped) {
  SelectionFixture f = separable_split("svm");
  std::vector<GridConfig> grid = {{{"pca", "1000"}, {"C", "1"}}, {{"pca", "none"}, {"C", "1"}},
                                  {{"pca", "none"}, {"C", "50"}}};
  int ticks = 0;
  const GridSearch g = search_grid(f.d, f.o, 0, f.p, grid, [&] { ++ticks; });
  ASSERT_EQ(g.cv_scores.size(), 3u);
  EXPECT_TRUE(std::isnan(g.cv_scores[0]));  // 1000 PCA components: more than the data has
  EXPECT_EQ(g.cv_scores[1], 1.0);           // separable: every fold perfect
  EXPECT_EQ(g.cv_scores[2], 1.0);
  EXPECT_EQ(g.best, 1);                     // the tie goes to the earlier configuration
  EXPECT_EQ(ticks, 1 + 5 + 5);              // the skipped configuration stops at its first fold
  EXPECT_EQ(grid.size(), 3u);
  std::vector<GridConfig> none_fit = {{{"pca", "1000"}, {"C", "1"}}, {{"pca", "2000"}, {"C", "1"}}};
  test::expect_error<ConfigError>([&] { search_grid(f.d, f.o, 0, f.p, none_fit, [] {}); },
                                  "no svm configuration of the grid fits");
  // One configuration is not searched: no fold model, no score.
  std::vector<GridConfig> one = {{{"pca", "none"}, {"C", "1"}}};
  ticks = 0;
  const GridSearch single = search_grid(f.d, f.o, 0, f.p, one, [&] { ++ticks; });
  EXPECT_EQ(single.best, 0);
  EXPECT_EQ(ticks, 0);
  ASSERT_EQ(single.cv_scores.size(), 1u);
  EXPECT_TRUE(std::isnan(single.cv_scores[0]));
}

TEST(ModelSelection, Conv1dFallsBackToBatchesOfTheTrainingRows) {
  SelectionFixture f = separable_split("conv1d");
  std::vector<GridConfig> grid = classifier_grid("conv1d", "fast", f.p.time_points,
                                                 {{"batch_size", {"512"}}, {"epochs", {"2"}}});
  ASSERT_EQ(grid.size(), 2u);
  int ticks = 0;
  const GridSearch g = search_grid(f.d, f.o, 0, f.p, grid, [&] { ++ticks; });
  ASSERT_EQ(grid.size(), 2u);
  for (const auto& c : grid) EXPECT_EQ(config_value(c, "batch_size"), "rows");
  EXPECT_EQ(g.cv_scores.size(), 2u);
  EXPECT_FALSE(std::isnan(g.cv_scores[0]));
  EXPECT_EQ(ticks, 2 * 1 + 2 * 5);  // two failed first folds, then two full searches
}

TEST(ModelSelection, RefitIsSeededByTheSplit) {
  SelectionFixture f = separable_split("rf");
  const GridConfig config = {{"max_features", "sqrt"}, {"n_estimators", "5"}};
  const auto fitted = fit_chosen(f.d, f.o, 2, f.p, config);
  auto by_hand = [&](uint64_t seed) {
    auto m = make_trajectory_model("rf", config, f.p.time_points, seed, 1);
    m->fit(f.d.x_train, f.d.onehot_train, f.d.y_train, f.p.num_classes);
    return m->tree_importances();
  };
  EXPECT_TRUE(fitted->tree_importances().equal(by_hand(mix_seed(f.o.seed, 2))));
  EXPECT_FALSE(fitted->tree_importances().equal(by_hand(mix_seed(f.o.seed, 3))));
}

// Predicts class 1 where the first continuous column is positive, else class 0.
class SignModel : public TrajectoryModel {
 public:
  void fit(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&, int64_t) override {}
  torch::Tensor scores(const torch::Tensor& x, const torch::Tensor&) const override {
    const torch::Tensor pos = x.select(1, 0).gt(0).to(torch::kFloat64);
    return torch::stack({1 - pos, pos}, 1);
  }
  void save(torch::serialize::OutputArchive&) const override {}
  void load(torch::serialize::InputArchive&) override {}
};

TEST(ModelSelection, ScoresOfKnownPredictions) {
  SplitData d;
  d.x_test = torch::tensor({1.0, -1.0, 2.0, -3.0}, torch::kFloat64).view({4, 1});
  d.y_test = torch::tensor({1, 1, 0, 0}, torch::kInt64);  // predicted 1, 0, 1, 0
  d.x_train = torch::tensor({1.0, -1.0}, torch::kFloat64).view({2, 1});
  d.y_train = torch::tensor({1, 0}, torch::kInt64);  // both right
  d.onehot_test = torch::zeros({4, 3}, torch::kFloat64);
  d.onehot_train = torch::zeros({2, 3}, torch::kFloat64);
  SplitResult res;
  score_split(SignModel(), d, 2, res);
  EXPECT_EQ(res.predictions, (std::vector<int64_t>{1, 0, 1, 0}));
  EXPECT_EQ(res.test_confusion, (Confusion{{1, 1}, {1, 1}}));
  EXPECT_EQ(res.train_confusion, (Confusion{{1, 0}, {0, 1}}));
  EXPECT_DOUBLE_EQ(res.test_accuracy, 0.5);
  EXPECT_FALSE(res.tree_importances.defined());
}

}  // namespace
}  // namespace lrid

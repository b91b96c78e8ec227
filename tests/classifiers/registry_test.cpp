// The classifier registry: names in order, labels, probabilistic flags,
// factories, the Conv1D fallback grid and unknown names.
#include "classifiers/registry.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

TEST(ClassifierRegistry, NamesLabelsAndFlags) {
  EXPECT_EQ(classifier_registry().names(), (std::vector<std::string>{"rf", "svm", "conv1d"}));
  EXPECT_EQ(classifier_spec("rf").label, "Random forest");
  EXPECT_EQ(classifier_spec("svm").label, "Linear SVM");
  EXPECT_EQ(classifier_spec("conv1d").label, "Conv1D MLP");
  // Forest votes and softmax outputs are probabilities; SVM decision values are not.
  EXPECT_TRUE(classifier_spec("rf").probabilistic);
  EXPECT_FALSE(classifier_spec("svm").probabilistic);
  EXPECT_TRUE(classifier_spec("conv1d").probabilistic);
  EXPECT_FALSE(classifier_spec("rf").fallback);
  EXPECT_FALSE(classifier_spec("svm").fallback);
  EXPECT_TRUE(classifier_spec("conv1d").fallback);
}

TEST(ClassifierRegistry, UnknownNamesAreConfigErrorsNamingTheOption) {
  test::expect_error<ConfigError>([] { classifier_spec("forest"); }, "--classifier");
  test::expect_error<ConfigError>([] { classifier_spec("knn", "classifiers[2]"); }, "classifiers[2]");
  test::expect_error<ConfigError>([] { classifier_spec("knn"); }, "rf, svm, conv1d");
}

TEST(ClassifierRegistry, FactoriesBuildModelsOfTheirKind) {
  // A forest exposes per-tree importances [n_trees, 3 + D]; the SVM none.
  const torch::Tensor x = torch::randn({40, 4}, torch::kFloat64);
  const torch::Tensor oh = torch::zeros({40, 3}, torch::kFloat64);
  const torch::Tensor y = torch::arange(40, torch::kInt64).remainder(2);
  auto rf = classifier_spec("rf").make({{"max_features", "sqrt"}, {"n_estimators", "7"}}, 2, 1, 1);
  rf->fit(x, oh, y, 2);
  EXPECT_EQ(rf->tree_importances().sizes(), torch::IntArrayRef({7, 7}));
  auto svm = classifier_spec("svm").make({{"pca", "none"}, {"C", "1"}}, 2, 1, 1);
  svm->fit(x, oh, y, 2);
  EXPECT_FALSE(svm->tree_importances().defined());
  EXPECT_EQ(svm->scores(x, oh).sizes(), torch::IntArrayRef({40, 2}));
}

TEST(ClassifierRegistry, Conv1dFallbackMakesTheBatchTheTrainingRows) {
  const auto& spec = classifier_spec("conv1d");
  std::vector<GridConfig> grid = {{{"lr", "0.001"}, {"batch_size", "512"}},
                                  {{"lr", "0.001"}, {"batch_size", "1024"}},
                                  {{"lr", "0.0001"}, {"batch_size", "512"}}};
  const auto fallback = spec.fallback(grid);
  // Batch sizes become "rows"; configurations that then coincide appear once, in order.
  ASSERT_EQ(fallback.size(), 2u);
  EXPECT_EQ(config_text(fallback[0]), "lr=0.001, batch_size=rows");
  EXPECT_EQ(config_text(fallback[1]), "lr=0.0001, batch_size=rows");
  EXPECT_TRUE(spec.fallback(fallback).empty());  // no second fallback
  EXPECT_TRUE(spec.fallback({}).empty());
}

}  // namespace
}  // namespace lrid

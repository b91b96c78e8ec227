// Grid mechanics and the registered grids' sizes (science.md §6.4–§6.6).
#include "classifiers/grid.h"

#include <gtest/gtest.h>

#include <set>

#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

TEST(Grid, ProductVariesTheFirstAxisSlowest) {
  const auto g = grid_product({{"a", {"1", "2"}}, {"b", {"x", "y", "z"}}});
  ASSERT_EQ(g.size(), 6u);
  EXPECT_EQ(config_text(g[0]), "a=1, b=x");
  EXPECT_EQ(config_text(g[1]), "a=1, b=y");
  EXPECT_EQ(config_text(g[3]), "a=2, b=x");
  EXPECT_EQ(config_text(g[5]), "a=2, b=z");
}

TEST(Grid, OverridesReplaceAnAxisOrNameTheUnknownKey) {
  GridAxes axes = {{"a", {"1", "2"}}, {"b", {"x"}}};
  apply_grid_overrides(axes, {{"b", {"p", "q"}}}, "demo");
  EXPECT_EQ(axes[1].second, (std::vector<std::string>{"p", "q"}));
  EXPECT_EQ(grid_product(axes).size(), 4u);
  test::expect_error<ConfigError>([&] { apply_grid_overrides(axes, {{"c", {"1"}}}, "demo"); }, "--set c");
  test::expect_error<ConfigError>([&] { apply_grid_overrides(axes, {{"a", {}}}, "demo"); }, "no values");
}

TEST(Grid, ConfigLookups) {
  const GridConfig c = {{"C", "50"}, {"pca", "none"}};
  EXPECT_EQ(config_value(c, "C"), "50");
  EXPECT_EQ(config_value(c, "kernel", "7"), "7");
  EXPECT_TRUE(config_has(c, "pca"));
  EXPECT_FALSE(config_has(c, "kernel"));
}

TEST(Grid, PaperGridSizesAtTwentyOneTimePoints) {
  // §6.4: 3 max_features x 5 n_estimators.
  EXPECT_EQ(classifier_grid("rf", "paper", 21).size(), 15u);
  // §6.5: 7 C without PCA, then 11 PCA sizes x 7 C.
  const auto svm = classifier_grid("svm", "paper", 21);
  ASSERT_EQ(svm.size(), 7u + 77u);
  EXPECT_EQ(config_value(svm[6], "pca"), "none");
  EXPECT_EQ(config_value(svm[7], "pca"), "10");
  // §6.6: kernels ceil(f·21) for f in {0.003, 0.007, 0.05, 0.25, 0.5, 1} = {1, 1, 2, 6, 11, 21}, 5 distinct;
  // 2 lr x 5 kernels x 3 strides x 2 filters x 2 batches x 3 poolings x 2 wd = 720.
  const auto conv = classifier_grid("conv1d", "paper", 21);
  ASSERT_EQ(conv.size(), 720u);
  std::set<std::string> kernels;
  for (const auto& c : conv) kernels.insert(config_value(c, "kernel"));
  EXPECT_EQ(kernels, (std::set<std::string>{"1", "2", "6", "11", "21"}));
}

TEST(Grid, FastGrids) {
  EXPECT_EQ(classifier_grid("rf", "fast", 21).size(), 1u);
  EXPECT_EQ(classifier_grid("svm", "fast", 21).size(), 4u);  // C {1, 50, 5000}, then pca 20 x C 1
  EXPECT_EQ(classifier_grid("conv1d", "fast", 21).size(), 2u);  // kernels ceil(0.25·21) = 6 and 21
}

TEST(Grid, SvmPcaOverrideChoosesThePipelines) {
  // "none" keeps the plain SVM; numbers replace the PCA sizes; both: both pipelines.
  EXPECT_EQ(classifier_grid("svm", "paper", 21, {{"pca", {"none"}}}).size(), 7u);
  const auto only_pca = classifier_grid("svm", "paper", 21, {{"pca", {"20"}}});
  ASSERT_EQ(only_pca.size(), 7u);
  EXPECT_EQ(config_value(only_pca[0], "pca"), "20");
  const auto both = classifier_grid("svm", "fast", 21, {{"pca", {"none", "30"}}, {"C", {"2"}}});
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(config_text(both[0]), "pca=none, C=2");
  EXPECT_EQ(config_text(both[1]), "pca=30, C=2");
}

TEST(Grid, UnknownGridOrClassifierIsAConfigError) {
  test::expect_error<ConfigError>([] { classifier_grid("rf", "huge", 21); }, "--grid 'huge'");
  test::expect_error<ConfigError>([] { check_grid_name("tiny"); }, "expected paper or fast");
  check_grid_name("fast");  // no throw
  EXPECT_THROW(classifier_grid("forest", "fast", 21), ConfigError);
}

}  // namespace
}  // namespace lrid

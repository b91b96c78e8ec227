// Metrics (§6.7) against hand-computed values.
#include "classifiers/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace lrid {
namespace {

TEST(Metrics, ConfusionAccuracyBalancedAccuracyAndDPrime) {
  // truth 0 0 0 1 1 2 ; predicted 0 0 1 1 2 2
  Confusion c = confusion_matrix({0, 0, 0, 1, 1, 2}, {0, 0, 1, 1, 2, 2}, 3);
  EXPECT_EQ(c[0][0], 2);
  EXPECT_EQ(c[0][1], 1);
  EXPECT_EQ(c[1][2], 1);
  EXPECT_DOUBLE_EQ(accuracy(c), 4.0 / 6.0);
  // class 0: TP 2, FN 1, FP 0, TN 3 -> TPR 2/3, TNR 1, FPR 0
  auto ba = balanced_accuracy(c);
  EXPECT_DOUBLE_EQ(ba[0], (2.0 / 3.0 + 1.0) / 2.0);
  auto dp = d_prime(c);
  EXPECT_NEAR(dp[0], normal_quantile(2.0 / 3.0) - (-5.0), 1e-12);  // FPR 0 clips to -5
  // class 2: TP 1, FN 0, FP 1, TN 4 -> TPR 1 (clips to +5), FPR 1/5
  EXPECT_NEAR(dp[2], 5.0 - normal_quantile(0.2), 1e-12);
}

TEST(Metrics, NormalQuantileKnownValues) {
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-15);
  EXPECT_NEAR(normal_quantile(0.001), -3.090232306167813, 1e-11);
  EXPECT_NEAR(normal_quantile(0.2), -0.8416212335729143, 1e-12);
  EXPECT_TRUE(std::isinf(normal_quantile(1.0)));
}

TEST(Metrics, MeanSemAndMeanConfusion) {
  EXPECT_DOUBLE_EQ(mean({1, 2, 3, 4}), 2.5);
  // sample std of 1..4 = sqrt(5/3); sem = that / 2
  EXPECT_NEAR(sem({1, 2, 3, 4}), std::sqrt(5.0 / 3.0) / 2.0, 1e-15);
  EXPECT_TRUE(std::isnan(sem({1})));
  Confusion m = mean_confusion({{{1, 0}, {0, 1}}, {{3, 2}, {0, 1}}});
  EXPECT_DOUBLE_EQ(m[0][0], 2.0);
  EXPECT_DOUBLE_EQ(m[0][1], 1.0);
}

}  // namespace
}  // namespace lrid

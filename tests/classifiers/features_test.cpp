// Feature layouts (science.md §5.4, §5.5, §6.2) on a hand-built dataset whose
// values encode their own position: x[n, t, k] = 100 n + 10 k + t.
#include "classifiers/features.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace lrid {
namespace {

// N = 2 rows, T = 3 time points, K = 4 observables; row n has one-hot position n.
TrajectoryDataset positional_dataset() {
  TrajectoryDataset d;
  d.x = torch::empty({2, 3, 4}, torch::kFloat32);
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t t = 0; t < 3; ++t)
      for (int64_t k = 0; k < 4; ++k) d.x[n][t][k] = static_cast<float>(100 * n + 10 * k + t);
  d.x_cat = torch::zeros({2, 3, 3}, torch::kFloat32);
  d.x_cat.select(2, 0)[0].fill_(1.0f);
  d.x_cat.select(2, 1)[1].fill_(1.0f);
  d.y = {"adam", "sgdm"};
  d.obs_keys = {"o0", "o1", "o2", "o3"};
  return d;
}

TEST(Features, ContinuousBlockIsObservableMajor) {
  // Columns {3, 1}: column m·T + t holds observable columns[m] at time t.
  const torch::Tensor x = continuous_block(positional_dataset(), {3, 1});
  ASSERT_EQ(x.sizes(), torch::IntArrayRef({2, 6}));
  EXPECT_EQ(x.scalar_type(), torch::kFloat64);
  const std::vector<double> row1 = {130, 131, 132, 110, 111, 112};
  for (int64_t j = 0; j < 6; ++j) EXPECT_EQ(x[1][j].item<double>(), row1[static_cast<std::size_t>(j)]) << j;
}

TEST(Features, ContinuousBlockKeepsTheSelectedTimePointsInOrder) {
  const torch::Tensor x = continuous_block(positional_dataset(), {2}, {2, 0});
  ASSERT_EQ(x.sizes(), torch::IntArrayRef({2, 2}));
  EXPECT_EQ(x[0][0].item<double>(), 22);
  EXPECT_EQ(x[0][1].item<double>(), 20);
}

TEST(Features, OnehotBlockIsTheFirstTimePointOfXCat) {
  const torch::Tensor oh = onehot_block(positional_dataset());
  EXPECT_TRUE(oh.equal(torch::tensor({1.0, 0.0, 0.0, 0.0, 1.0, 0.0}, torch::kFloat64).view({2, 3})));
}

TEST(Features, NamesFollowTheColumnOrder) {
  EXPECT_EQ(feature_names({"a", "b"}, 2),
            (std::vector<std::string>{"grp_id0", "grp_id1", "grp_id2", "a@t0", "a@t1", "b@t0", "b@t1"}));
}

TEST(Features, SequenceLayoutPutsTheOnehotInFrontAtEveryTime) {
  const TrajectoryDataset d = positional_dataset();
  const torch::Tensor seq = sequence_layout(continuous_block(d, {3, 1}), onehot_block(d), 3);
  ASSERT_EQ(seq.sizes(), torch::IntArrayRef({2, 3, 5}));  // [N, T, 3 + M]
  EXPECT_EQ(seq.scalar_type(), torch::kFloat32);
  // Row 1, time 2: one-hot (0, 1, 0), then observables 3 and 1 at t = 2.
  const std::vector<float> expected = {0, 1, 0, 132, 112};
  for (int64_t c = 0; c < 5; ++c) EXPECT_EQ(seq[1][2][c].item<float>(), expected[static_cast<std::size_t>(c)]) << c;
}

TEST(Features, SelectedTimePointsCountsTheSubsetOrEveryPoint) {
  EXPECT_EQ(selected_time_points({}, 21), 21);
  EXPECT_EQ(selected_time_points({0, 5, 20}, 21), 3);
}

TEST(Normalizer, PopulationStdFlooredAtOneEMinusFive) {
  // Column 0: {1, 3} -> mean 2, population std 1 (the sample std would be sqrt 2).
  // Column 1: constant 7 -> std 0, floored at 1e-5.
  const torch::Tensor x = torch::tensor({1.0, 7.0, 3.0, 7.0}, torch::kFloat64).view({2, 2});
  Normalizer norm;
  norm.fit(x);
  EXPECT_DOUBLE_EQ(norm.mean[0].item<double>(), 2.0);
  EXPECT_DOUBLE_EQ(norm.mean[1].item<double>(), 7.0);
  EXPECT_DOUBLE_EQ(norm.stddev[0].item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(norm.stddev[1].item<double>(), 1e-5);
  const torch::Tensor z = norm.apply(torch::tensor({5.0, 7.00001}, torch::kFloat64).view({1, 2}));
  EXPECT_DOUBLE_EQ(z[0][0].item<double>(), 3.0);  // (5 - 2) / 1
  EXPECT_NEAR(z[0][1].item<double>(), 1.0, 1e-6);  // (7.00001 - 7) / 1e-5
}

}  // namespace
}  // namespace lrid

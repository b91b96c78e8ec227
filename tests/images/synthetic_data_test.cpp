// Synthetic dataset: shapes, determinism per seed, class balance, and that
// classes are separable (examples are nearer their own prototype's mean).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "images/datasets.h"
#include "core/errors.h"

namespace lrid {
namespace {

std::vector<int64_t> all_indices(const DataSplit& split) {
  std::vector<int64_t> idx(static_cast<size_t>(split.size()));
  for (int64_t i = 0; i < split.size(); ++i) idx[static_cast<size_t>(i)] = i;
  return idx;
}

TEST(Synthetic, Shapes) {
  ImageData data = make_synthetic(4, 3, 12, 40, 20, 0.1, 7);
  EXPECT_EQ(data.name, "synthetic");
  EXPECT_EQ(data.num_classes, 4);
  EXPECT_EQ(data.class_names.size(), 4u);
  EXPECT_EQ(data.train->size(), 40);
  EXPECT_EQ(data.test->size(), 20);
  EXPECT_EQ(data.train->channels(), 3);
  EXPECT_EQ(data.train->height(), 12);
  EXPECT_EQ(data.train->width(), 12);
  torch::Tensor x = data.train->images({0, 39});
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{2, 3, 12, 12}));
  EXPECT_EQ(x.scalar_type(), torch::kUInt8);
  EXPECT_EQ(data.train->labels().scalar_type(), torch::kInt64);
}

TEST(Synthetic, DeterministicPerSeed) {
  ImageData a = make_synthetic(3, 1, 8, 30, 9, 0.2, 11);
  ImageData b = make_synthetic(3, 1, 8, 30, 9, 0.2, 11);
  ImageData c = make_synthetic(3, 1, 8, 30, 9, 0.2, 12);
  EXPECT_TRUE(torch::equal(a.train->images(all_indices(*a.train)),
                           b.train->images(all_indices(*b.train))));
  EXPECT_TRUE(torch::equal(a.test->images(all_indices(*a.test)),
                           b.test->images(all_indices(*b.test))));
  EXPECT_TRUE(torch::equal(a.train->labels(), b.train->labels()));
  EXPECT_FALSE(torch::equal(a.train->images(all_indices(*a.train)),
                            c.train->images(all_indices(*c.train))));
  // Train and test are different draws.
  EXPECT_FALSE(torch::equal(a.train->images({0, 1, 2}), a.test->images({0, 1, 2})));
}

TEST(Synthetic, BalancedLabels) {
  ImageData data = make_synthetic(5, 1, 6, 50, 25, 0.1, 3);
  EXPECT_TRUE(torch::equal(torch::bincount(data.train->labels(), {}, 5),
                           torch::full({5}, 10, torch::kInt64)));
  EXPECT_TRUE(torch::equal(torch::bincount(data.test->labels(), {}, 5),
                           torch::full({5}, 5, torch::kInt64)));
}

TEST(Synthetic, ClassesShareTrainAndTestPrototypes) {
  // Class means of train match those of test much better than other classes'.
  ImageData data = make_synthetic(3, 2, 8, 300, 300, 0.1, 5);
  auto class_means = [](const DataSplit& split) {
    torch::Tensor x = split.images(all_indices(split)).to(torch::kFloat32);
    std::vector<torch::Tensor> means;
    for (int64_t c = 0; c < 3; ++c) means.push_back(x.index({split.labels() == c}).mean(0));
    return means;
  };
  auto train = class_means(*data.train);
  auto test = class_means(*data.test);
  for (int64_t c = 0; c < 3; ++c) {
    double same = (train[c] - test[c]).abs().mean().item<double>();
    for (int64_t d = 0; d < 3; ++d) {
      if (d == c) continue;
      EXPECT_LT(same * 3, (train[c] - test[d]).abs().mean().item<double>());
    }
  }
}

TEST(Synthetic, RejectsBadParameters) {
  EXPECT_THROW(make_synthetic(0, 1, 8, 10, 10, 0.1, 0), ConfigError);
  EXPECT_THROW(make_synthetic(2, 0, 8, 10, 10, 0.1, 0), ConfigError);
  EXPECT_THROW(make_synthetic(2, 1, 0, 10, 10, 0.1, 0), ConfigError);
  EXPECT_THROW(make_synthetic(2, 1, 8, 0, 10, 0.1, 0), ConfigError);
  EXPECT_THROW(make_synthetic(2, 1, 8, 10, 10, -0.1, 0), ConfigError);
}

TEST(Synthetic, LimitSplitKeepsPrefix) {
  ImageData data = make_synthetic(2, 1, 4, 10, 4, 0.1, 1);
  auto limited = limit_split(data.train, 3);
  EXPECT_EQ(limited->size(), 3);
  EXPECT_TRUE(torch::equal(limited->labels(), data.train->labels().slice(0, 0, 3)));
  EXPECT_TRUE(torch::equal(limited->images({2}), data.train->images({2})));
  EXPECT_THROW(limited->images({3}), std::out_of_range);
  EXPECT_EQ(limit_split(data.train, 0), data.train);
  EXPECT_EQ(limit_split(data.train, 100), data.train);
}

}  // namespace
}  // namespace lrid

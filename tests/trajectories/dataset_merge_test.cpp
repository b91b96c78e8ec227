// Merging datasets (a sweep's shards): rows concatenated in order, every
// field kept, attributes combined, and parts that disagree refused.
#include "trajectories/dataset_merge.h"

#include <gtest/gtest.h>

#include "classifiers/classifier_test_data.h"
#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

// Two shards: the same layout, different seed groups (run ids s0-*, s1-* against s2-*, ...).
std::pair<TrajectoryDataset, TrajectoryDataset> two_shards() {
  TrajectoryDataset all = testing::synthetic_trajectories(6, {"fa", "ia"}, {"weightraw_mean"}, 1.0, 5);
  std::vector<int64_t> first, second;
  for (int64_t i = 0; i < all.rows(); ++i) (all.meta.at("model_seed").ints[i] == 0 ? first : second).push_back(i);
  TrajectoryDataset a = all.subset(first), b = all.subset(second);
  a.attributes = {{"runs", "2"}, {"run_wall_time_s_sum", "10.5"}, {"run_lrid_commits", "abc"},
                  {"lrid_version", "0.1.0"}, {"sources", "runs/x"}, {"config", "shard 0"}};
  b.attributes = {{"runs", "4"}, {"run_wall_time_s_sum", "20.0"}, {"run_lrid_commits", "abc def"},
                  {"lrid_version", "0.1.0"}, {"sources", "runs/y"}, {"config", "shard 1"}};
  return {a, b};
}

std::string merge_error(const TrajectoryDataset& a, const TrajectoryDataset& b) {
  return test::error_message<DataError>([&] { merge_datasets({a, b}, {"a.h5", "b.h5"}); });
}

TEST(DatasetMerge, ConcatenatesRowsAndCombinesAttributes) {
  auto [a, b] = two_shards();
  ASSERT_GT(a.rows(), 0);
  ASSERT_GT(b.rows(), 0);
  TrajectoryDataset m = merge_datasets({a, b}, {"a.h5", "b.h5"});
  ASSERT_EQ(m.rows(), a.rows() + b.rows());
  EXPECT_TRUE(torch::equal(m.x.slice(0, 0, a.rows()), a.x));
  EXPECT_TRUE(torch::equal(m.x.slice(0, a.rows()), b.x));
  EXPECT_TRUE(torch::equal(m.x_cat.slice(0, a.rows()), b.x_cat));
  EXPECT_EQ(m.y[static_cast<std::size_t>(a.rows())], b.y[0]);
  EXPECT_EQ(m.meta.at("run_id").strings.back(), b.meta.at("run_id").strings.back());
  EXPECT_EQ(m.meta.at("model_seed").ints.front(), 0);
  EXPECT_EQ(m.attributes.at("runs"), "6");
  EXPECT_EQ(m.attributes.at("run_wall_time_s_sum"), "30.5");
  EXPECT_EQ(m.attributes.at("run_lrid_commits"), "abc def");
  EXPECT_EQ(m.attributes.at("lrid_version"), "0.1.0");  // agreed
  EXPECT_EQ(m.attributes.count("config"), 0u);          // disagreed: dropped
  EXPECT_EQ(m.attributes.at("sources"), "runs/x\nruns/y");
  EXPECT_EQ(m.attributes.at("merged_from"), "a.h5\nb.h5");
}

// Runs twice as long with record points at the same fractions (batch 64 against
// 128 for the same steps): merged, on the first part's axis.
TEST(DatasetMerge, AcceptsTimeAxesThatDifferOnlyInScale) {
  auto [a, b] = two_shards();
  b.time_epochs = b.time_epochs * 2.0;
  b.time_epochs[1] += 2e-4 * b.time_epochs[-1].item<double>();  // a record step rounded: 0.02% of the run
  const TrajectoryDataset m = merge_datasets({a, b}, {"a.h5", "b.h5"});
  EXPECT_TRUE(torch::equal(m.time_epochs, a.time_epochs));
  EXPECT_EQ(m.rows(), a.rows() + b.rows());
}

TEST(DatasetMerge, RefusesARunInTwoParts) {
  auto [a, b] = two_shards();
  EXPECT_NE(merge_error(a, a).find("b.h5: run 's0-fa' is also in a.h5"), std::string::npos);
}

TEST(DatasetMerge, RefusesPartsThatDisagree) {
  auto [a, b] = two_shards();
  TrajectoryDataset c = b;
  std::swap(c.obs_keys[0], c.obs_keys[1]);
  EXPECT_NE(merge_error(a, c).find("b.h5: obs_keys differ"), std::string::npos);
  c = b.subset({0, 1});
  c.x = c.x.slice(1, 0, 20);
  c.x_cat = c.x_cat.slice(1, 0, 20);
  c.time_epochs = c.time_epochs.slice(0, 0, 20);
  EXPECT_NE(merge_error(a, c).find("b.h5: 20 time points, a.h5 has 21"), std::string::npos);
  c = b;
  c.time_epochs = c.time_epochs * c.time_epochs;  // not a rescaling: other fractions of training
  EXPECT_NE(merge_error(a, c).find("b.h5: time_epochs differ"), std::string::npos);
  c = b;
  c.meta.erase("architecture");
  EXPECT_NE(merge_error(a, c).find("b.h5: no meta column 'architecture'"), std::string::npos);
  c = b;
  MetaColumn& seeds = c.meta.at("model_seed");
  seeds.kind = MetaColumn::Kind::kReal;
  for (int64_t s : seeds.ints) seeds.reals.push_back(static_cast<double>(s));
  seeds.ints.clear();
  EXPECT_NE(merge_error(a, c).find("meta column 'model_seed' is float64, in a.h5 it is int64"), std::string::npos);
  EXPECT_EQ(merge_error(a, b), "");
}

}  // namespace
}  // namespace lrid

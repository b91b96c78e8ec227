// Dataset queries: chance, rows by value, distinct values (numbers sorted as
// numbers), and the rows of the chosen rules and condition, with errors naming
// the dataset and what is missing.
#include "experiments/selection.h"

#include <gtest/gtest.h>

#include "core/errors.h"
#include "experiments/experiment_test_data.h"
#include "test_util.h"

namespace lrid {
namespace {

using namespace testing;

// 4 rules x 2 rows; rows 0-3 condition full, 4-7 condition frac0.1; batch sizes 64, 128, 1024 cycled.
TrajectoryDataset selection_data() {
  SyntheticSpec s;
  s.rows_per_rule = 2;
  s.time_points = 2;
  TrajectoryDataset d = synthetic_dataset(s);
  for (std::size_t i = 4; i < 8; ++i) d.meta.at("condition").strings[i] = "frac0.1";
  MetaColumn batch;
  batch.kind = MetaColumn::Kind::kInt;
  for (int64_t i = 0; i < d.rows(); ++i) batch.ints.push_back(std::vector<int64_t>{64, 128, 1024}[i % 3]);
  d.meta["batch_size"] = batch;
  return d;
}

TEST(Selection, ChanceAndRowsWhere) {
  const TrajectoryDataset d = selection_data();
  EXPECT_DOUBLE_EQ(chance_level(d), 0.25);
  EXPECT_TRUE(std::isnan(chance_level(TrajectoryDataset{})));
  EXPECT_EQ(rows_where(d, "condition", "frac0.1"), (std::vector<int64_t>{4, 5, 6, 7}));
  EXPECT_EQ(rows_where(d, "batch_size", "1024"), (std::vector<int64_t>{2, 5}));
  EXPECT_TRUE(rows_where(d, "condition", "none").empty());
  test::expect_error<DataError>([&] { rows_where(d, "nosuch", "x"); }, "'nosuch'");
}

TEST(Selection, DistinctValuesSortNumbersAsNumbers) {
  const TrajectoryDataset d = selection_data();
  EXPECT_EQ(distinct_values(d, "batch_size"), (std::vector<std::string>{"64", "128", "1024"}));
  EXPECT_EQ(distinct_values(d, "architecture"), (std::vector<std::string>{"knet", "resnet18"}));
  test::expect_error<DataError>([&] { distinct_values(d, "nosuch"); }, "'nosuch'");
}

TEST(Selection, RulesAndConditionRows) {
  const TrajectoryDataset d = selection_data();
  EXPECT_EQ(select_rules(d, {}, "d.h5").rows(), 8);
  const TrajectoryDataset two = select_rules(d, {"ia", "fa"}, "d.h5");
  EXPECT_EQ(two.y, (std::vector<std::string>{"ia", "fa", "ia", "fa"}));
  test::expect_error<DataError>([&] { select_rules(d, {"adam", "kp"}, "d.h5"); }, "d.h5: rules: no rows of rule 'kp'");
  EXPECT_EQ(select_condition(d, "frac0.1", "d.h5").rows(), 4);
  EXPECT_EQ(select_condition(d, "", "d.h5").rows(), 8);
  test::expect_error<DataError>([&] { select_condition(d, "noise9", "d.h5"); }, "condition 'noise9'");
  TrajectoryDataset no_column = d;
  no_column.meta.erase("condition");
  EXPECT_EQ(select_condition(no_column, "full", "d.h5").rows(), 8);
}

TEST(Selection, WhereKeepsRowsMatchingEveryKeyValue) {
  const TrajectoryDataset d = selection_data();
  EXPECT_EQ(select_where(d, {}, "d.h5").rows(), 8);
  const TrajectoryDataset knet = select_where(d, {"architecture=knet"}, "d.h5");
  EXPECT_EQ(knet.rows(), static_cast<int64_t>(rows_where(d, "architecture", "knet").size()));
  const TrajectoryDataset both = select_where(d, {"condition=full", "batch_size=1024"}, "d.h5");
  ASSERT_EQ(both.rows(), 1);  // row 2: the only full row of batch 1024
  EXPECT_EQ(both.y[0], d.y[2]);
  test::expect_error<ConfigError>([&] { select_where(d, {"architecture"}, "d.h5"); }, "expected KEY=VALUE");
  test::expect_error<DataError>([&] { select_where(d, {"architecture=vgg"}, "d.h5"); },
                                "d.h5: where: no row has architecture=vgg");
}

}  // namespace
}  // namespace lrid

// provenance.json: size, rows per rule and per setting (only the columns the
// dataset has), attributes and the lrid version, keys in the documented order.
#include "experiments/provenance.h"

#include <gtest/gtest.h>

#include "core/version.h"
#include "experiments/experiment_test_data.h"
#include "test_util.h"

namespace lrid {
namespace {

using namespace testing;

TEST(Provenance, CountsAndKeysInOrder) {
  SyntheticSpec s;
  s.rows_per_rule = 3;
  s.time_points = 4;
  const TrajectoryDataset d = synthetic_dataset(s);
  const Json j = provenance_json(d, "data/d.h5");
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"dataset", "rows", "time_points", "observables", "rules", "columns",
                                            "attributes", "lrid_version", "lrid_commit"}));
  EXPECT_EQ(j.at("dataset"), "data/d.h5");
  EXPECT_EQ(j.at("rows"), 12);
  EXPECT_EQ(j.at("time_points"), 4);
  EXPECT_EQ(j.at("observables"), 24);
  EXPECT_EQ(j.at("rules").at("adam"), 3);
  // Settings columns the dataset has (architecture, task, condition), not those it lacks (batch_size, dataset).
  EXPECT_EQ(j.at("columns").at("condition").at("full"), 12);
  EXPECT_EQ(j.at("columns").at("architecture").at("knet"), 8);
  EXPECT_FALSE(j.at("columns").contains("batch_size"));
  EXPECT_EQ(j.at("attributes").at("lrid_commit"), "test");
  EXPECT_EQ(j.at("lrid_version"), version());
}

TEST(Provenance, WrittenToTheResultsDirectory) {
  test::TempDir t;
  SyntheticSpec s;
  s.rows_per_rule = 2;
  s.time_points = 2;
  const TrajectoryDataset d = synthetic_dataset(s);
  write_provenance(t.path(), d, "d.h5");
  EXPECT_EQ(read_json(t.path() / "provenance.json"), provenance_json(d, "d.h5"));
}

}  // namespace
}  // namespace lrid

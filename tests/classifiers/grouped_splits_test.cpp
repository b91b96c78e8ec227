// Splits and folds by group (§6.9): no group on both sides of any split or
// fold, balance by rule, the group keys, and, on a dataset with planted twins,
// row splits that leak against grouped splits that do not.
#include "classifiers/grouped_splits.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "classifiers/classifier_test_data.h"
#include "classifiers/protocol.h"
#include "core/errors.h"
#include "observables/names.h"

namespace lrid {
namespace {

// A factorial layout: `seeds` groups x `classes` runs x `rows_per_run` rows; returns labels and seed groups.
struct Layout {
  std::vector<int64_t> labels, seed_groups, run_groups;
};
Layout factorial(int64_t seeds, int64_t classes, int64_t rows_per_run) {
  Layout l;
  for (int64_t s = 0; s < seeds; ++s)
    for (int64_t c = 0; c < classes; ++c)
      for (int64_t k = 0; k < rows_per_run; ++k) {
        l.labels.push_back(c);
        l.seed_groups.push_back(s);
        l.run_groups.push_back(s * classes + c);
      }
  return l;
}

void expect_no_group_straddles(const Split& sp, const std::vector<int64_t>& groups) {
  std::set<int64_t> train_groups;
  for (int64_t r : sp.train) train_groups.insert(groups[static_cast<std::size_t>(r)]);
  for (int64_t r : sp.test) EXPECT_FALSE(train_groups.count(groups[static_cast<std::size_t>(r)])) << "row " << r;
}

TEST(GroupedSplits, WholeGroupsAQuarterToTestAndBalancedByRule) {
  const Layout l = factorial(8, 4, 3);  // 8 seed groups -> 2 test groups: 6 test, 18 train rows per rule
  const auto splits = grouped_splits(l.labels, l.seed_groups, 4, 10, 5);
  ASSERT_EQ(splits.size(), 10u);
  std::set<std::set<int64_t>> distinct_tests;
  for (const auto& sp : splits) {
    expect_no_group_straddles(sp, l.seed_groups);
    std::map<int64_t, int> tr, te;
    for (int64_t r : sp.train) ++tr[l.labels[static_cast<std::size_t>(r)]];
    for (int64_t r : sp.test) ++te[l.labels[static_cast<std::size_t>(r)]];
    for (int64_t c = 0; c < 4; ++c) {
      EXPECT_EQ(te[c], 6);
      EXPECT_EQ(tr[c], 18);
    }
    std::set<int64_t> test_groups;
    for (int64_t r : sp.test) test_groups.insert(l.seed_groups[static_cast<std::size_t>(r)]);
    EXPECT_EQ(test_groups.size(), 2u);
    distinct_tests.insert(test_groups);
  }
  EXPECT_GT(distinct_tests.size(), 3u);  // the draws differ between splits
  EXPECT_EQ(grouped_splits(l.labels, l.seed_groups, 4, 10, 5)[7].test, splits[7].test);  // seeded
}

TEST(GroupedSplits, UnbalancedGroupsAreTrimmedPerSideAndTooFewGroupsFail) {
  Layout l = factorial(6, 2, 2);
  l.labels.push_back(0);  // an extra class-0 row in group 0
  l.seed_groups.push_back(0);
  for (const auto& sp : grouped_splits(l.labels, l.seed_groups, 2, 20, 1)) {
    expect_no_group_straddles(sp, l.seed_groups);
    std::map<int64_t, int> tr, te;
    for (int64_t r : sp.train) ++tr[l.labels[static_cast<std::size_t>(r)]];
    for (int64_t r : sp.test) ++te[l.labels[static_cast<std::size_t>(r)]];
    EXPECT_EQ(tr[0], tr[1]);
    EXPECT_EQ(te[0], te[1]);
  }
  const Layout one = factorial(1, 2, 5);
  EXPECT_THROW(grouped_splits(one.labels, one.seed_groups, 2, 1, 0), DataError);
  // Group 0 holds every class-1 row: whenever it is drawn to test, training has none.
  EXPECT_THROW(grouped_splits({0, 1, 0, 0, 0, 0}, {0, 0, 1, 2, 3, 4}, 2, 10, 0, {}, {}, -1, -1, 1), DataError);
}

TEST(GroupedSplits, DisjointPoolsKeepSeedGroupsOffTheTrainingSide) {
  // Two architectures share the seed groups; hold out architecture 1 (rows with arch == 1).
  Layout a = factorial(4, 2, 2), b = factorial(4, 2, 2);
  std::vector<int64_t> labels = a.labels, groups = a.seed_groups, train_pool, test_pool;
  labels.insert(labels.end(), b.labels.begin(), b.labels.end());
  groups.insert(groups.end(), b.seed_groups.begin(), b.seed_groups.end());
  for (std::size_t i = 0; i < labels.size(); ++i)
    (i < a.labels.size() ? train_pool : test_pool).push_back(static_cast<int64_t>(i));
  for (const auto& sp : grouped_splits(labels, groups, 2, 10, 3, train_pool, test_pool, -1, -1, 2)) {
    expect_no_group_straddles(sp, groups);
    for (int64_t r : sp.train) EXPECT_LT(r, static_cast<int64_t>(a.labels.size()));
    for (int64_t r : sp.test) EXPECT_GE(r, static_cast<int64_t>(a.labels.size()));
    EXPECT_EQ(sp.test.size(), 4u);   // one of 4 groups: 2 rows per class
    EXPECT_EQ(sp.train.size(), 12u);  // the other 3 groups of architecture 0
  }
}

TEST(GroupedFolds, NoGroupInTwoFoldsAndClassesSpreadEvenly) {
  const Layout l = factorial(7, 3, 2);
  const auto fold = grouped_folds(l.labels, l.seed_groups, 5);
  std::map<int64_t, std::set<int64_t>> folds_of_group;
  std::map<int64_t, std::map<int64_t, int>> per_fold_class;
  for (std::size_t i = 0; i < fold.size(); ++i) {
    folds_of_group[l.seed_groups[i]].insert(fold[i]);
    ++per_fold_class[fold[i]][l.labels[i]];
  }
  for (const auto& [g, f] : folds_of_group) EXPECT_EQ(f.size(), 1u) << "group " << g;
  EXPECT_EQ(per_fold_class.size(), 5u);  // 7 groups over 5 folds: 2,2,1,1,1
  for (const auto& [f, classes] : per_fold_class) EXPECT_EQ(classes.size(), 3u) << "fold " << f;
  // Fewer groups than folds: one fold per group; a single group cannot be validated.
  const Layout three = factorial(3, 2, 1);
  const auto f3 = grouped_folds(three.labels, three.seed_groups, 5);
  EXPECT_EQ(std::set<int64_t>(f3.begin(), f3.end()).size(), 3u);
  EXPECT_THROW(grouped_folds({0, 1}, {4, 4}, 5), DataError);
  // Run groups (one class each): the greedy keeps every fold holding both classes.
  const Layout runs = factorial(5, 2, 2);
  const auto fr = grouped_folds(runs.labels, runs.run_groups, 5);
  std::map<int64_t, std::set<int64_t>> classes_in;
  for (std::size_t i = 0; i < fr.size(); ++i) classes_in[fr[i]].insert(runs.labels[i]);
  for (const auto& [f, c] : classes_in) EXPECT_EQ(c.size(), 2u) << "fold " << f;
}

TEST(RowGroups, KeysFromTheMetadataWithUnknownSeedsByRun) {
  TrajectoryDataset d = testing::synthetic_trajectories(6, {"fa", "ia"}, {}, 0.0, 1);  // 12 rows, 2 seed groups
  const auto seed = row_groups(d, GroupBy::kSeed), run = row_groups(d, GroupBy::kRun), row = row_groups(d, GroupBy::kRow);
  EXPECT_EQ(std::set<int64_t>(seed.begin(), seed.end()).size(), 2u);
  EXPECT_EQ(std::set<int64_t>(run.begin(), run.end()).size(), 4u);
  EXPECT_EQ(std::set<int64_t>(row.begin(), row.end()).size(), 12u);
  d.meta["model_seed"].ints[0] = -1;  // None: row 0 is grouped by its run, apart from its seed group
  const auto mixed = row_groups(d, GroupBy::kSeed);
  EXPECT_EQ(std::set<int64_t>(mixed.begin(), mixed.end()).size(), 3u);
  d.meta.erase("dataset_seed");
  EXPECT_THROW(row_groups(d, GroupBy::kSeed), DataError);
  EXPECT_THROW(parse_group_by("seeds"), ConfigError);
  EXPECT_EQ(group_by_name(parse_group_by("run")), "run");
}

// Planted twins: no observable says anything about the rule that holds across
// seeds; within a seed group, every run shares the group's trajectory and each
// run adds its own signature, so that rows of one run and runs of one seed are
// near-identical. The truth is chance (1/4). Row splits put rows of the same
// run on both sides and score near 1; run splits put seed-matched twins on
// both sides, so the forest names the twin's rule and scores below chance;
// seed splits score near chance.
TrajectoryDataset planted_twins() {
  const std::vector<std::string> rules = {"adam", "sgdm", "ia", "fa"};
  const int64_t seeds = 12, layers = 3, t = 6;
  TrajectoryDataset d;
  d.obs_keys = admissible_observables();
  const auto k = static_cast<int64_t>(d.obs_keys.size());
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(77);
  std::vector<torch::Tensor> xs;
  MetaColumn run, model_seed, data_seed;
  model_seed.kind = data_seed.kind = MetaColumn::Kind::kInt;
  for (int64_t s = 0; s < seeds; ++s) {
    const torch::Tensor shared = 3.0 * torch::randn({t, k}, g);
    for (std::size_t r = 0; r < rules.size(); ++r) {
      const torch::Tensor signature = 0.6 * torch::randn({t, k}, g);
      for (int64_t l = 0; l < layers; ++l) {
        xs.push_back(shared + signature + 0.02 * torch::randn({t, k}, g));
        d.y.push_back(rules[r]);
        run.strings.push_back(fmt::format("s{}-{}", s, rules[r]));
        model_seed.ints.push_back(s);
        data_seed.ints.push_back(100 + s);
      }
    }
  }
  d.x = torch::stack(xs).to(torch::kFloat32);
  const auto n = d.x.size(0);
  d.x_cat = torch::zeros({n, t, 3});
  d.meta["run_id"] = run;
  d.meta["model_seed"] = model_seed;
  d.meta["dataset_seed"] = data_seed;
  d.time_epochs = torch::arange(t, torch::kFloat64);
  return d;
}

double accuracy_split_by(const TrajectoryDataset& d, const std::string& group_by, ProtocolResult* out = nullptr) {
  ProtocolOptions o;
  o.classifier = "rf";
  o.grid = "fast";
  o.set["n_estimators"] = {"60"};
  o.splits = 4;
  o.progress = false;
  o.n_jobs = 1;
  o.group_by = group_by;
  ProtocolResult r = run_protocol(d, o);
  if (out != nullptr) *out = r;
  return r.accuracy_mean;
}

TEST(GroupedSplits, PlantedTwinsLeakThroughRowAndRunSplitsButNotSeedSplits) {
  const TrajectoryDataset d = planted_twins();
  ProtocolResult seed_result;
  const double row = accuracy_split_by(d, "row"), run = accuracy_split_by(d, "run"),
               seed = accuracy_split_by(d, "seed", &seed_result);
  EXPECT_GT(row, 0.85);   // the same run's rows on both sides
  EXPECT_LT(run, 0.12);   // the twin's rule, never its own
  EXPECT_GT(seed, 0.10);  // chance 0.25, within sampling error of 3 test groups x 4 splits
  EXPECT_LT(seed, 0.45);
  const auto groups = row_groups(d, GroupBy::kSeed);
  for (const auto& sp : seed_result.splits) {
    std::set<int64_t> train_groups;
    for (int64_t r : sp.train) train_groups.insert(groups[static_cast<std::size_t>(r)]);
    for (int64_t r : sp.test) EXPECT_FALSE(train_groups.count(groups[static_cast<std::size_t>(r)]));
  }
}

TEST(GroupedSplits, ARealSignalSurvivesTheSeedSplit) {
  // Rules differ in one observable's slope the same way in every seed group: grouping must not hide it.
  const TrajectoryDataset d = testing::synthetic_trajectories(36, {"adam", "sgdm", "ia", "fa"}, {"actraw_median"},
                                                              5.0, 21);
  EXPECT_GT(accuracy_split_by(d, "seed"), 0.9);
}

}  // namespace
}  // namespace lrid

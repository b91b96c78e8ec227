// The protocol end to end on seeded synthetic trajectories whose answer is
// known: informative observables are found and classified, noise-only data
// stays near chance, non-finite rows fail loudly or are dropped and counted;
// then its options' checks and the stages select and split, and the aggregation.
#include "classifiers/protocol.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "classifiers/classifier_test_data.h"
#include "classifiers/saved_classifier.h"
#include "core/errors.h"
#include "core/files.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kRules = {"adam", "fa", "ia", "sgdm"};

ProtocolOptions quick(const std::string& classifier) {
  ProtocolOptions o;
  o.classifier = classifier;
  o.grid = "fast";
  o.group_by = "row";  // these tests check the paper's row-level protocol (§6.1); grouped_splits_test the rest
  o.splits = 3;
  o.progress = false;
  o.n_jobs = 1;
  return o;
}

TEST(Protocol, RandomForestFindsTheInformativeObservable) {
  TrajectoryDataset d = testing::synthetic_trajectories(40, kRules, {"actraw_median"}, 5.0, 11);
  ProtocolOptions o = quick("rf");
  o.set["n_estimators"] = {"50"};
  ProtocolResult r = run_protocol(d, o);
  EXPECT_GT(r.accuracy_mean, 0.9);
  // Canonical class order (science.md §1): adam, sgdm, ia, fa.
  EXPECT_EQ(r.class_names, (std::vector<std::string>{"adam", "sgdm", "ia", "fa"}));
  EXPECT_EQ(class_names_of({"wm", "x", "fa", "kp", "adam", "b"}),
            (std::vector<std::string>{"adam", "fa", "wm", "kp", "b", "x"}));
  ASSERT_EQ(r.splits.size(), 3u);
  EXPECT_EQ(r.splits[0].test.size(), 4u * 10u);  // m = 40 -> 10 test rows per rule
  EXPECT_EQ(r.splits[0].train.size(), 4u * 30u);
  // Importance summed over time: the informative observable ranks first.
  torch::Tensor imp = r.feature_importance();
  ASSERT_EQ(imp.size(0), 3 + 24 * 21);
  torch::Tensor per_obs = imp.slice(0, 3).view({24, 21}).sum(1);
  EXPECT_EQ(r.observables[static_cast<std::size_t>(per_obs.argmax().item<int64_t>())], "actraw_median");
  // Same seed, same result.
  EXPECT_EQ(run_protocol(d, o).splits[1].predictions, r.splits[1].predictions);
}

TEST(Protocol, NoSignalStaysNearChance) {
  TrajectoryDataset d = testing::synthetic_trajectories(40, kRules, {}, 0.0, 12);
  ProtocolOptions o = quick("rf");
  o.set["n_estimators"] = {"50"};
  o.splits = 4;
  EXPECT_LT(run_protocol(d, o).accuracy_mean, 0.45);  // chance is 0.25
}

TEST(Protocol, SvmGridSearchAndConv1d) {
  TrajectoryDataset d = testing::synthetic_trajectories(
      30, kRules, {"weightraw_mean", "gradavgraw_id", "actabs_median", "weightsq_mean"}, 3.0, 13, 21, false);
  ProtocolResult s = run_protocol(d, quick("svm"));
  EXPECT_GT(s.accuracy_mean, 0.9);
  EXPECT_EQ(s.grid.size(), 4u);  // fast: C {1, 50, 5000} + pca 20 x C 1
  EXPECT_EQ(s.splits[0].cv_scores.size(), 4u);
  ProtocolOptions c = quick("conv1d");
  c.set["epochs"] = {"60"};
  c.set["batch_size"] = {"32"};
  c.splits = 2;
  EXPECT_GT(run_protocol(d, c).accuracy_mean, 0.8);
}

TEST(Protocol, NonFiniteRowsFailLoudlyOrAreDroppedAndCounted) {
  TrajectoryDataset d = testing::synthetic_trajectories(20, kRules, {"actraw_mean"}, 1.0, 14);
  d.x[1][5][0] = std::nanf("");  // row 1 is rule "fa"
  ProtocolOptions o = quick("rf");
  o.set["n_estimators"] = {"20"};
  EXPECT_THROW(run_protocol(d, o), DataError);
  o.drop_nonfinite = true;
  ProtocolResult r = run_protocol(d, o);
  EXPECT_EQ(r.dropped_rows.at("fa"), 1);
  for (const auto& s : r.splits)
    for (int64_t row : s.test) EXPECT_NE(row, 1);
  // Selecting observables without the bad column needs no dropping.
  o.drop_nonfinite = false;
  o.observables = "act";
  EXPECT_NO_THROW(run_protocol(d, o));
}

TEST(Protocol, ResultsFilesAndSavedClassifier) {
  TrajectoryDataset d = testing::synthetic_trajectories(20, kRules, {"actraw_norm"}, 1.0, 15);
  ProtocolOptions o = quick("rf");
  o.set["n_estimators"] = {"20"};
  ProtocolResult r = run_protocol(d, o);
  test::TempDir tmp;
  const fs::path& dir = tmp.path();
  write_results(r, d, dir);
  for (const char* f : {"results.json", "metrics.csv", "confusion.csv", "predictions.csv", "importance.csv",
                        "tree_importances.h5"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  EXPECT_NE(read_file(dir / "metrics.csv").find("mean,accuracy,,"), std::string::npos);
  SavedClassifier c = fit_final_classifier(d, r);
  save_classifier((dir / "model.pt").string(), c);
  SavedClassifier l = load_classifier((dir / "model.pt").string());
  EXPECT_TRUE(torch::equal(classify_rows(c, d), classify_rows(l, d)));
  std::vector<int64_t> truth;  // class ids in the saved classifier's order
  for (const auto& y : d.y)
    truth.push_back(std::find(l.class_names.begin(), l.class_names.end(), y) - l.class_names.begin());
  EXPECT_GT(classify_rows(l, d).argmax(1).eq(torch::tensor(truth)).to(torch::kFloat).mean().item<double>(), 0.95);
}

TEST(Protocol, TooFewRowsPerRuleIsADataError) {
  TrajectoryDataset d = testing::synthetic_trajectories(5, kRules, {}, 0.0, 16);
  ProtocolOptions o = quick("rf");
  EXPECT_THROW(run_protocol(d, o), DataError);  // 5 rows per rule: 1 test + 4 train < 5 folds
}

TEST(ProtocolOptions, ValidateNamesTheField) {
  auto with = [](const std::function<void(ProtocolOptions&)>& edit) {
    return [edit] {
      ProtocolOptions o;
      edit(o);
      o.validate();
    };
  };
  ProtocolOptions{}.validate();  // the defaults are valid
  test::expect_error<ConfigError>(with([](auto& o) { o.splits = 0; }), "--splits 0");
  test::expect_error<ConfigError>(with([](auto& o) { o.folds = 1; }), "folds 1");
  test::expect_error<ConfigError>(with([](auto& o) { o.stat_noise_var = -0.5; }), "stat_noise_var -0.5");
  test::expect_error<ConfigError>(with([](auto& o) { o.classifier = "knn"; }), "--classifier");
  test::expect_error<ConfigError>(with([](auto& o) { o.grid = "full"; }), "--grid 'full'");
  // run_protocol checks them before it reads the data.
  TrajectoryDataset d = testing::synthetic_trajectories(20, kRules, {}, 0.0, 17);
  ProtocolOptions o = quick("rf");
  o.folds = 1;
  test::expect_error<ConfigError>([&] { run_protocol(d, o); }, "folds 1");
}

TEST(ProtocolStages, ClassIdsFollowTheClassOrder) {
  EXPECT_EQ(class_ids({"fa", "adam", "fa", "sgdm"}, {"adam", "sgdm", "fa"}), (std::vector<int64_t>{2, 0, 2, 1}));
}

TEST(ProtocolStages, SelectDropsCountsAndAddsSeededNoise) {
  TrajectoryDataset d = testing::synthetic_trajectories(10, kRules, {"actraw_mean"}, 1.0, 18);
  d.x[2][0][0] = std::nanf("");  // row 2: rule "ia"; observable 0 is in "all"
  ProtocolOptions o = quick("rf");
  o.drop_nonfinite = true;
  o.time_points = {0, 20};
  ProtocolResult r;
  const ProtocolData p = select_protocol_data(d, o, r);
  EXPECT_EQ(r.dropped_rows, (std::map<std::string, int64_t>{{"ia", 1}}));
  ASSERT_EQ(p.keep.size(), 39u);
  EXPECT_EQ(p.keep[2], 3);  // row 2 is gone
  EXPECT_EQ(p.time_points, 2);
  EXPECT_EQ(p.continuous.sizes(), torch::IntArrayRef({39, 24 * 2}));
  EXPECT_EQ(r.feature_names.size(), 3u + 24 * 2);
  EXPECT_EQ(p.labels[2], 1);  // row 3 is rule "sgdm", class 1 of adam, sgdm, ia, fa
  EXPECT_EQ(r.grid.size(), 1u);  // rf fast
  // Noise of variance 4: the difference has std about 2 and depends only on the seed.
  o.stat_noise_var = 4.0;
  ProtocolResult rn;
  const ProtocolData noisy = select_protocol_data(d, o, rn);
  const double sd = (noisy.continuous - p.continuous).std().item<double>();
  EXPECT_NEAR(sd, 2.0, 0.2);
  EXPECT_TRUE(select_protocol_data(d, o, rn).continuous.equal(noisy.continuous));
  o.time_points = {21};
  test::expect_error<ConfigError>([&] { select_protocol_data(d, o, rn); }, "time point 21 is outside 0..20");
}

TEST(ProtocolStages, PoolsOfOriginalRowsMapToKeptRows) {
  TrajectoryDataset d = testing::synthetic_trajectories(12, kRules, {}, 0.0, 19);
  d.x[0][0][0] = std::nanf("");  // row 0 dropped: kept position i is original row i + 1
  ProtocolOptions o = quick("rf");
  o.drop_nonfinite = true;
  for (int64_t row = 1; row < 48; ++row) (row < 28 ? o.train_pool : o.test_pool).push_back(row);
  ProtocolResult r;
  const ProtocolData p = select_protocol_data(d, o, r);
  const std::vector<Split> splits = protocol_splits(p, o, r.class_names);
  ASSERT_EQ(splits.size(), 3u);
  for (const auto& s : splits) {
    for (int64_t i : s.train) EXPECT_LT(i, 27);   // original rows 1..27
    for (int64_t i : s.test) EXPECT_GE(i, 27);    // original rows 28..47
  }
  o.test_pool = {0};  // only the dropped row
  test::expect_error<DataError>([&] { protocol_splits(p, o, r.class_names); }, "pool is empty");
}

TEST(ProtocolStages, AggregationOverSplits) {
  ProtocolResult r;
  r.splits.resize(2);
  r.splits[0].test_accuracy = 0.5;
  r.splits[0].test_confusion = {{2, 0}, {2, 0}};
  r.splits[1].test_accuracy = 1.0;
  r.splits[1].test_confusion = {{2, 0}, {0, 2}};
  aggregate_splits(r);
  EXPECT_DOUBLE_EQ(r.accuracy_mean, 0.75);
  EXPECT_NEAR(r.accuracy_sem, 0.25, 1e-12);  // sample std sqrt(0.125) / sqrt(2)
  EXPECT_EQ(r.mean_confusion, (Confusion{{2, 0}, {1, 1}}));
  EXPECT_DOUBLE_EQ(r.mean_accuracy, 0.75);
  // Class 0: TPR 1, TNR 1/2 -> 0.75; class 1: TPR 1/2, TNR 1 -> 0.75.
  EXPECT_EQ(r.balanced_accuracy, (std::vector<double>{0.75, 0.75}));
  // d' = clip(z(TPR), ±5) - clip(z(FPR), ±5): class 0: 5 - z(1/2) = 5; class 1: z(1/2) - (-5) = 5.
  ASSERT_EQ(r.d_prime.size(), 2u);
  EXPECT_NEAR(r.d_prime[0], 5.0, 1e-9);
  EXPECT_NEAR(r.d_prime[1], 5.0, 1e-9);
}

}  // namespace
}  // namespace lrid

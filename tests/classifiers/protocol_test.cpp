// The protocol end to end on seeded synthetic trajectories whose answer is
// known: informative observables are found and classified, noise-only data
// stays near chance, non-finite rows fail loudly or are dropped and counted.
#include "classifiers/protocol.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "classifiers/classifier_test_data.h"
#include "classifiers/saved_classifier.h"
#include "core/errors.h"
#include "core/files.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kRules = {"adam", "fa", "ia", "sgdm"};

ProtocolOptions quick(const std::string& classifier) {
  ProtocolOptions o;
  o.classifier = classifier;
  o.grid = "fast";
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
  fs::path dir = fs::temp_directory_path() / fmt::format("lrid_protocol_{}", static_cast<long>(getpid()));
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
  fs::remove_all(dir);
}

TEST(Protocol, TooFewRowsPerRuleIsADataError) {
  TrajectoryDataset d = testing::synthetic_trajectories(5, kRules, {}, 0.0, 16);
  ProtocolOptions o = quick("rf");
  EXPECT_THROW(run_protocol(d, o), DataError);  // 5 rows per rule: 1 test + 4 train < 5 folds
}

}  // namespace
}  // namespace lrid

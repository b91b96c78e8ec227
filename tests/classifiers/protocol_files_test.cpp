// The files of a protocol run (write_results) for a hand-built result whose
// every number is known: the CSV tables byte for byte (non-finite values of
// metrics.csv and cv.csv spelled null) and results.json's keys, order and values.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "classifiers/protocol.h"
#include "core/files.h"
#include "core/json.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

// Four rows (labels a, b, a, b), one split: train row 1, test rows 0 and 3, both predicted a.
TrajectoryDataset four_row_dataset() {
  TrajectoryDataset d;
  d.x = torch::zeros({4, 2, 1});
  d.x_cat = torch::zeros({4, 2, 3});
  d.y = {"a", "b", "a", "b"};
  d.obs_keys = {"o1"};
  MetaColumn run, layer;
  run.strings = {"r0", "r1", "r2", "r3"};
  layer.strings = {"l0", "l1", "l0", "l1"};
  d.meta["run_id"] = run;
  d.meta["layer"] = layer;
  return d;
}

ProtocolResult one_split_result() {
  ProtocolResult r;
  r.options.classifier = "svm";
  r.options.grid = "fast";
  r.options.splits = 1;
  r.class_names = {"a", "b"};
  r.observables = {"o1"};
  r.feature_names = {"grp_id0", "grp_id1", "grp_id2", "o1@t0", "o1@t1"};
  r.grid = {{{"pca", "none"}, {"C", "1"}}, {{"pca", "none"}, {"C", "50"}}};
  SplitResult& s = r.splits.emplace_back();
  s.train = {1};
  s.test = {0, 3};
  s.chosen = r.grid[0];
  s.cv_scores = {0.75, std::nan("")};
  s.predictions = {0, 0};
  s.test_confusion = {{1, 0}, {1, 0}};  // true a: predicted a; true b: predicted a
  s.train_confusion = {{0, 0}, {0, 1}};
  s.test_accuracy = 0.5;
  s.norm_mean = torch::tensor({1.0, 2.0}, torch::kFloat64);
  s.norm_std = torch::tensor({0.5, 0.25}, torch::kFloat64);
  s.tree_importances = torch::tensor({0.0, 0.0, 0.0, 0.25, 0.75, 0.0, 0.0, 0.0, 0.75, 0.25}, torch::kFloat64).view({2, 5});
  r.mean_confusion = s.test_confusion;
  r.accuracy_mean = r.mean_accuracy = 0.5;
  r.accuracy_sem = std::nan("");  // one split
  r.balanced_accuracy = {0.5, 0.5};
  r.d_prime = {0.0, 0.0};
  return r;
}

TEST(ProtocolFiles, CsvTablesByteForByte) {
  test::TempDir dir;
  write_results(one_split_result(), four_row_dataset(), dir.path());
  // Per class: balanced accuracy (TPR + TNR) / 2 = 0.5 for both; d' = clip(z(TPR)) - clip(z(FPR)) = 5 - 5 and -5 - -5.
  EXPECT_EQ(read_file(dir.path() / "metrics.csv"),
            "split,metric,class,value\n"
            "0,accuracy,,0.5\n0,balanced_accuracy,a,0.5\n0,d_prime,a,0\n0,balanced_accuracy,b,0.5\n0,d_prime,b,0\n"
            "mean,accuracy,,0.5\nmean,balanced_accuracy,a,0.5\nmean,d_prime,a,0\nmean,balanced_accuracy,b,0.5\n"
            "mean,d_prime,b,0\nmean,accuracy_mean_over_splits,,0.5\nmean,accuracy_sem,,null\n");
  EXPECT_EQ(read_file(dir.path() / "confusion.csv"),
            "split,true,predicted,count\n0,a,a,1\n0,a,b,0\n0,b,a,1\n0,b,b,0\n"
            "mean,a,a,1\nmean,a,b,0\nmean,b,a,1\nmean,b,b,0\n");
  EXPECT_EQ(read_file(dir.path() / "cv.csv"), "split,config,score\n0,\"pca=none, C=1\",0.75\n0,\"pca=none, C=50\",null\n");
  EXPECT_EQ(read_file(dir.path() / "predictions.csv"),
            "split,row,run_id,layer,true,predicted\n0,0,r0,l0,a,a\n0,3,r3,l1,b,a\n");
  // Mean over the two trees: (0.25 + 0.75) / 2 for both time points.
  EXPECT_EQ(read_file(dir.path() / "importance.csv"),
            "feature,observable,time,importance\ngrp_id0,grp_id0,,0\ngrp_id1,grp_id1,,0\ngrp_id2,grp_id2,,0\n"
            "o1@t0,o1,0,0.5\no1@t1,o1,1,0.5\n");
  EXPECT_TRUE(fs::exists(dir.path() / "tree_importances.h5"));
}

TEST(ProtocolFiles, ResultsJsonKeysInOrderWithNullForNonFinite) {
  test::TempDir dir;
  write_results(one_split_result(), four_row_dataset(), dir.path());
  const Json j = read_json(dir.path() / "results.json");
  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "classifier", "observables", "observable_selection", "grid", "group_by", "splits_requested", "folds", "seed",
                      "stat_noise_var", "time_points", "classes", "feature_names", "grid_configs",
                      "dropped_nonfinite_rows", "accuracy_mean", "accuracy_sem", "mean_accuracy", "mean_confusion",
                      "balanced_accuracy", "d_prime", "feature_importance", "wall_time_s", "dataset_rows", "run_vote", "splits"}));
  EXPECT_TRUE(j["accuracy_sem"].is_null());
  EXPECT_EQ(j["grid_configs"][1], Json::parse(R"({"pca": "none", "C": "50"})"));
  EXPECT_EQ(j["dropped_nonfinite_rows"], Json::object());
  EXPECT_EQ(j["dataset_rows"], 4);
  EXPECT_EQ(j["feature_importance"], Json::parse("[0, 0, 0, 0.5, 0.5]"));
  const Json& s = j["splits"][0];
  std::vector<std::string> split_keys;
  for (const auto& item : s.items()) split_keys.push_back(item.key());
  EXPECT_EQ(split_keys, (std::vector<std::string>{"split", "test_accuracy", "chosen", "cv_scores", "balanced_accuracy",
                                                  "d_prime", "test_confusion", "train_confusion", "train_rows",
                                                  "test_rows", "predictions", "norm_mean", "norm_std"}));
  EXPECT_EQ(s["cv_scores"], Json::parse("[0.75, null]"));
  EXPECT_EQ(s["chosen"], Json::parse(R"({"pca": "none", "C": "1"})"));
  EXPECT_EQ(s["test_confusion"], Json::parse("[[1, 0], [1, 0]]"));
  EXPECT_EQ(s["test_rows"], Json::parse("[0, 3]"));
  EXPECT_EQ(s["norm_std"], Json::parse("[0.5, 0.25]"));
}

TEST(ProtocolFiles, OptionalFilesFollowTheResult) {
  test::TempDir dir;
  ProtocolResult r = one_split_result();
  write_results(r, four_row_dataset(), dir.path() / "no_tree_file", /*tree_importances=*/false);
  EXPECT_TRUE(fs::exists(dir.path() / "no_tree_file" / "importance.csv"));
  EXPECT_FALSE(fs::exists(dir.path() / "no_tree_file" / "tree_importances.h5"));
  // No importances (an SVM) and a one-configuration grid: neither importance.csv nor cv.csv.
  r.splits[0].tree_importances = torch::Tensor();
  r.grid.resize(1);
  r.splits[0].cv_scores = {std::nan("")};
  write_results(r, four_row_dataset(), dir.path() / "svm");
  EXPECT_TRUE(fs::exists(dir.path() / "svm" / "metrics.csv"));
  EXPECT_FALSE(fs::exists(dir.path() / "svm" / "importance.csv"));
  EXPECT_FALSE(fs::exists(dir.path() / "svm" / "cv.csv"));
}

}  // namespace
}  // namespace lrid

// Saved classifiers (`lrid classify --save-model`, `lrid identify`): the final
// refit's configuration, a save/load round trip giving identical scores, and
// the checks on the data a saved classifier is applied to.
#include "classifiers/saved_classifier.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "archive_edit.h"
#include "classifiers/classifier_test_data.h"
#include "core/errors.h"
#include "core/files.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

const std::vector<std::string> kSavedRules = {"adam", "fa", "ia", "sgdm"};

// A protocol result as run_protocol would leave it, with the given chosen configurations.
ProtocolResult result_choosing(const TrajectoryDataset& d, const std::vector<GridConfig>& chosen) {
  ProtocolResult r;
  r.options.classifier = "svm";
  r.options.observables = "actraw_mean,weightraw_mean";
  r.options.time_points = {0, 10, 20};
  r.class_names = class_names_of(d.y);
  r.observables = {"actraw_mean", "weightraw_mean"};
  for (const auto& c : chosen) r.splits.emplace_back().chosen = c;
  return r;
}

TEST(SavedClassifier, RefitsTheMostChosenConfigurationEarliestOnTies) {
  const TrajectoryDataset d = testing::synthetic_trajectories(10, kSavedRules, {"actraw_mean"}, 3.0, 21);
  const GridConfig a = {{"pca", "none"}, {"C", "1"}}, b = {{"pca", "none"}, {"C", "50"}};
  EXPECT_EQ(fit_final_classifier(d, result_choosing(d, {a, b, b})).config, b);
  EXPECT_EQ(fit_final_classifier(d, result_choosing(d, {a, b, b, a})).config, a);
  const SavedClassifier c = fit_final_classifier(d, result_choosing(d, {b}));
  EXPECT_EQ(c.class_names, (std::vector<std::string>{"adam", "sgdm", "ia", "fa"}));
  EXPECT_EQ(c.time_points, (std::vector<int64_t>{0, 10, 20}));
  EXPECT_EQ(c.dataset_time_points, 21);
  EXPECT_EQ(c.norm.mean.size(0), 2 * 3);  // 2 observables x 3 time points, statistics of every row
  EXPECT_EQ(classify_rows(c, d).sizes(), torch::IntArrayRef({40, 4}));
}

TEST(SavedClassifier, RoundTripGivesIdenticalScores) {
  const TrajectoryDataset d = testing::synthetic_trajectories(12, kSavedRules, {"actraw_mean"}, 3.0, 22);
  test::TempDir dir;
  for (const auto& [name, config] : std::vector<std::pair<std::string, GridConfig>>{
           {"rf", {{"max_features", "sqrt"}, {"n_estimators", "8"}}}, {"svm", {{"pca", "3"}, {"C", "1"}}}}) {
    ProtocolResult r = result_choosing(d, {config});
    r.options.classifier = name;
    const SavedClassifier c = fit_final_classifier(d, r);
    const std::string path = (dir.path() / (name + ".pt")).string();
    save_classifier(path, c);
    const SavedClassifier l = load_classifier(path);
    EXPECT_EQ(l.classifier, name);
    EXPECT_EQ(l.config, config);
    EXPECT_EQ(l.observables, c.observables);
    EXPECT_EQ(l.time_points, c.time_points);
    EXPECT_TRUE(l.norm.stddev.equal(c.norm.stddev));
    EXPECT_TRUE(classify_rows(l, d).equal(classify_rows(c, d))) << name;
  }
}

TEST(SavedClassifier, DataOfAnotherShapeOrWithNonFiniteValuesIsADataError) {
  const TrajectoryDataset d = testing::synthetic_trajectories(10, kSavedRules, {"actraw_mean"}, 3.0, 23);
  const SavedClassifier c = fit_final_classifier(d, result_choosing(d, {{{"pca", "none"}, {"C", "1"}}}));
  const TrajectoryDataset shorter = testing::synthetic_trajectories(2, kSavedRules, {}, 0.0, 24, 11);
  test::expect_error<DataError>([&] { classify_rows(c, shorter); }, "T = 11");
  TrajectoryDataset bad = d;
  bad.x = d.x.clone();
  const auto col = std::find(d.obs_keys.begin(), d.obs_keys.end(), "weightraw_mean") - d.obs_keys.begin();
  bad.x[7][3][col] = std::nanf("");
  test::expect_error<DataError>([&] { classify_rows(c, bad); }, "first: row 7");
}

// A corrupt archive whose TorchScript code names an unknown type: LibTorch
// throws torch::jit::ErrorReport, not a c10::Error, which escaped as
// std::terminate (tests/fuzz/saved_classifier_fuzz.cpp found it). Here a saved
// classifier's code record is rewritten to declare an attribute of a type that does not exist.
TEST(SavedClassifier, CorruptTorchScriptInTheArchiveIsADataError) {
  const TrajectoryDataset d = testing::synthetic_trajectories(10, kSavedRules, {"actraw_mean"}, 3.0, 25);
  test::TempDir dir;
  const std::string path = (dir.path() / "svm.pt").string();
  save_classifier(path, fit_final_classifier(d, result_choosing(d, {{{"pca", "none"}, {"C", "1"}}})));
  int edited = 0;
  const std::string corrupt = test::rewrite_archive(read_file(path), [&](const std::string& name, std::string& c) {
    // A module attribute's declared type (`norm_mean : Tensor`) renamed.
    const size_t at = c.find(" : Tensor\n");
    if (name.rfind("code/", 0) == 0 && at != std::string::npos && edited == 0) {
      c.replace(at, 9, " : NoSuchT");
      ++edited;
    }
  });
  ASSERT_EQ(edited, 1);
  write_file_atomic(path, corrupt);
  test::expect_error<DataError>([&] { load_classifier(path); },
                                path + ": not a saved lrid classifier (Unknown type name");
}

// The fuzzer's input of that bug also has a file name outside the archive's
// folder, which the record check now finds first.
TEST(SavedClassifier, TheFuzzersCorruptArchiveIsADataError) {
  const std::string path =
      std::string(LRID_SOURCE_DIR) + "/tests/fuzz/corpus/saved_classifier/crash-torchscript-unknown-type";
  test::expect_error<DataError>([&] { load_classifier(path); }, path + ": not a saved lrid classifier (");
}

// saved_classifier_fuzz's input where a string opcode declares 4 GB
// (formerly tests/fuzz/known_crashes: LibTorch allocated and zeroed it). A
// record name outside the archive's folder now refuses it before any pickle
// is read; CheckArchiveStorages.APickleDeclaringMoreThanItsRecordHoldsIsRefused
// covers the string itself.
TEST(SavedClassifier, TheFormerKnownCrashIsADataError) {
  const std::string path =
      std::string(LRID_SOURCE_DIR) + "/tests/fuzz/corpus/saved_classifier/crash-unpickler-4GB-string";
  test::expect_error<DataError>([&] { load_classifier(path); }, path + ": not a saved lrid classifier (");
}

TEST(SavedClassifier, MissingOrForeignFilesAreDataErrors) {
  test::TempDir dir;
  test::expect_error<DataError>([&] { load_classifier((dir.path() / "none.pt").string()); }, "no such file");
  write_file_atomic(dir.path() / "text.pt", "not an archive");
  test::expect_error<DataError>([&] { load_classifier((dir.path() / "text.pt").string()); },
                                "not a saved lrid classifier");
}

}  // namespace
}  // namespace lrid

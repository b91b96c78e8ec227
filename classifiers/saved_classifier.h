// A fitted classifier saved for `lrid identify`: the classifier and its
// configuration, the class names, the observables and time points it reads,
// the normalisation statistics and the fitted model, in one LibTorch archive
// (tensors and strings; no pickles).
#pragma once
#include <torch/serialize.h>

#include <memory>
#include <string>
#include <vector>

#include "classifiers/features.h"
#include "classifiers/protocol.h"
#include "classifiers/trajectory_model.h"

namespace lrid {

struct SavedClassifier {
  std::string classifier;
  GridConfig config;
  std::vector<std::string> class_names, observables;
  std::vector<int64_t> time_points;  // empty: all
  int64_t dataset_time_points = 0;   // T of the training dataset
  Normalizer norm;
  std::unique_ptr<TrajectoryModel> model;
};

// Fits `config` on every row of `data` (rows with a non-finite selected value
// left out), reading o.time_points (empty: all), normalised with all rows' statistics.
SavedClassifier fit_classifier(const TrajectoryDataset& data, const ProtocolOptions& o,
                               const std::vector<std::string>& class_names, const std::vector<std::string>& observables,
                               const GridConfig& config);
// Refits the configuration chosen most often over the protocol's splits (ties:
// the earliest) on every row of `data`, normalised with all rows' statistics.
SavedClassifier fit_final_classifier(const TrajectoryDataset& data, const ProtocolResult& result);
void save_classifier(const std::string& path, const SavedClassifier& c);
SavedClassifier load_classifier(const std::string& path);
// The same fields inside an archive (prefix_classifiers.h stores several in one file).
void write_classifier(torch::serialize::OutputArchive& archive, const SavedClassifier& c);
SavedClassifier read_classifier(torch::serialize::InputArchive& archive);

// Scores [N, k] of every row of `data`, which must hold the saved observables
// and, for a classifier of every time point, its T; one of chosen time points
// (a prefix) needs only T above the last of them.
torch::Tensor classify_rows(const SavedClassifier& c, const TrajectoryDataset& data);

}  // namespace lrid

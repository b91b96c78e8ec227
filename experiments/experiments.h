// The experiments' entry points and schemas (registered in experiments/common.cpp),
// and the protocol runner they share. Internal to experiments/.
#pragma once
#include <string>
#include <vector>

#include "classifiers/protocol.h"
#include "core/progress.h"
#include "experiments/experiment.h"

namespace lrid {

Schema separation_schema();
Schema importance_schema();
Schema subsampling_schema();
Schema noise_schema();
Schema generalization_schema();
ExperimentOutput run_separation(const ExperimentContext& ctx);
ExperimentOutput run_importance(const ExperimentContext& ctx);
ExperimentOutput run_subsampling(const ExperimentContext& ctx);
ExperimentOutput run_noise(const ExperimentContext& ctx);
ExperimentOutput run_generalization(const ExperimentContext& ctx);

// Runs protocols one after another under one progress display (a bar on a
// terminal, rate-limited lines with an ETA in a log).
class ProtocolRunner {
 public:
  ProtocolRunner(const std::string& label, int64_t total, bool progress);
  ProtocolResult run(const TrajectoryDataset& data, const ProtocolOptions& options, const std::string& what);
  void finish();

 private:
  Progress progress_;
  int64_t done_ = 0;
};

// Per-split test accuracies of a protocol result.
std::vector<double> split_accuracies(const ProtocolResult& r);
// Row-normalised copy of a confusion matrix (rows with no count stay zero).
Confusion row_normalised(const Confusion& c);
// "0.812 ± 0.013"
std::string pm(double mean, double sem);
// The most frequently chosen grid configuration over the splits.
std::string chosen_config(const ProtocolResult& r);

}  // namespace lrid

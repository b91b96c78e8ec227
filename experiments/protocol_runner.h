// Running the protocol for the experiments: one progress display over many
// protocol runs, and summaries of a protocol result that their tables and
// findings print.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "classifiers/protocol.h"
#include "core/progress.h"

namespace lrid {

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
// Row-normalised copy of a confusion matrix: C[i][j] / sum_j C[i][j] (rows with no count stay zero).
Confusion row_normalised(const Confusion& c);
// "0.812 ± 0.013" (mean and s.e.m. to 3 decimals; "0.812" when the s.e.m. is not finite).
std::string pm(double mean, double sem);
// The most frequently chosen grid configuration over the splits (ties: the first in config_text order).
std::string chosen_config(const ProtocolResult& r);
// Mean ± s.e.m. of a result's accuracy, as pm() prints it.
std::string accuracy_pm(const ProtocolResult& r);

}  // namespace lrid

// Collates finished runs' observable streams into one trajectory dataset
// (trajectories/trajectory_dataset.h): one row per (run, recorded layer,
// measurement condition), X[row] = the layer's [T, K] trajectory of the kept
// observables, Y = the rule, X_cat = the early/middle/deep one-hot, and the
// metadata of science.md §5.2. By default only the 24 admissible observables
// are kept (the rest are not finite in every model of the original).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "trajectories/trajectory_dataset.h"

namespace lrid {

struct DatasetBuildOptions {
  bool all45 = false;                   // keep all 45 observables
  std::vector<std::string> conditions;  // stream names to include (empty: all)
  std::map<std::string, std::string> attributes;  // extra provenance (e.g. machine, sweep wall time), stored as attributes
};

struct DatasetBuildReport {
  int64_t runs_found = 0, runs_used = 0;
  std::vector<std::string> skipped;     // "run: reason"
  std::vector<std::string> dropped_observables;
};

// Every run directory (holding status.json and observables/index.json) under
// the given roots. Throws DataError when none is found.
std::vector<std::string> find_runs(const std::vector<std::string>& roots);
TrajectoryDataset build_dataset(const std::vector<std::string>& roots, const DatasetBuildOptions& options,
                                DatasetBuildReport* report = nullptr);

// The rows of one run directory, finished or still training (`lrid identify
// --follow`): one per recorded layer of `condition`, over the points recorded
// so far (T = their number; 0 rows before the first record). The 24
// admissible observables, or all 45. Attribute run_points: the points the run
// will record in all. DataError for a directory that is not a run or a
// condition it does not record.
TrajectoryDataset read_run_so_far(const std::string& run_dir, const std::string& condition = "full",
                                  bool all45 = false);

}  // namespace lrid

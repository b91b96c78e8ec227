// The experiments of science.md §7 on a trajectory dataset, each one command:
//   lrid experiment NAME DATASET.h5 [--out DIR] [key=value ...]
// NAME: separation, importance, subsampling, noise, generalization, or all.
// Each experiment writes DIR/NAME/: its numbers as tidy CSV, a summary.json,
// its figures as SVG, and manifest.json (figures, tables, and the paper's
// findings it tests, with our measurement and a verdict), which `lrid report`
// turns into one HTML page. Parameters are validated through the experiment's
// schema (registry below) before any compute; `lrid experiment --list` prints them.
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "classifiers/protocol.h"
#include "trajectories/trajectory_dataset.h"
#include "core/csv.h"
#include "core/registry.h"
#include "experiments/manifest.h"

namespace lrid {

// Everything an experiment gets: the dataset (already restricted to the
// chosen recorded condition), its validated parameters and its directory.
struct ExperimentContext {
  const TrajectoryDataset& data;  // rows of `condition`
  const TrajectoryDataset& all;   // every condition of the selected rules (the noise experiment reads them)
  Params params;
  std::filesystem::path dir;
  std::string dataset_path;
  bool progress = true;
};

using ExperimentFn = std::function<ExperimentOutput(const ExperimentContext&)>;
const Registry<ExperimentFn>& experiment_registry();

struct ExperimentRun {
  std::string name;                    // an experiment or "all"
  std::string dataset;                 // HDF5 path
  std::filesystem::path out;           // results directory (experiments write out/NAME/)
  std::vector<std::string> overrides;  // key=value
  bool progress = true;
};
// Validates the parameters of every experiment to run, then runs them.
// Keys that no selected experiment knows are rejected (ConfigError).
std::vector<ExperimentOutput> run_experiments(const ExperimentRun& run);

// ---- helpers shared by the experiments (experiments/common.cpp) ----

// Schema entries every experiment has: splits, seed, grid, set, jobs,
// drop_nonfinite, condition, measures.
Schema common_schema();
// Protocol options from the common parameters, for one classifier and observable set.
ProtocolOptions protocol_options(const Params& p, const std::string& classifier, const std::string& observables);
// Chance level of a balanced problem over the dataset's rules.
double chance_level(const TrajectoryDataset& data);
// The rows whose meta column `key` equals `value` (as text).
std::vector<int64_t> rows_where(const TrajectoryDataset& data, const std::string& key, const std::string& value);
// Distinct values of a meta column (as text), sorted (numbers numerically).
std::vector<std::string> distinct_values(const TrajectoryDataset& data, const std::string& key);
std::string pretty_measure(const std::string& observables);  // all -> "all (24)", weight -> "weights (13)", ...

}  // namespace lrid

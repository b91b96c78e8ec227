// The experiments of science.md §7 on a trajectory dataset, each one command:
//   lrid experiment NAME DATASET.h5 [--out DIR] [key=value ...]
// NAME: separation, importance, subsampling, noise, generalization, prefix, or all.
// Each experiment writes DIR/NAME/: its numbers as tidy CSV, a summary.json,
// its figures as SVG, and manifest.json (figures, tables, and the paper's
// findings it tests, with our measurement and a verdict), which `lrid report`
// turns into one HTML page. Parameters are validated through the experiment's
// schema (registry below) and parsed into its typed options before any data is
// read; `lrid experiment --list` prints them.
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/registry.h"
#include "experiments/manifest.h"
#include "experiments/options.h"
#include "trajectories/trajectory_dataset.h"

namespace lrid {

// Everything an experiment gets besides its own options: the dataset (already
// restricted to the chosen rules and recorded condition), the shared options
// and its directory.
struct ExperimentContext {
  const TrajectoryDataset& data;  // rows of `common.condition`
  const TrajectoryDataset& all;   // every condition of the selected rules (the noise experiment reads them)
  CommonOptions common;
  std::filesystem::path dir;
  std::string dataset_path;
  bool progress = true;
};

// An experiment with its own options parsed: runs on a context.
using ExperimentRunFn = std::function<ExperimentOutput(const ExperimentContext&)>;
// A registry entry's factory: parses the experiment's validated parameters
// (its schema: common_schema() and its own keys) into its typed options.
using ExperimentFn = std::function<ExperimentRunFn(const Params&)>;
const Registry<ExperimentFn>& experiment_registry();

struct ExperimentRun {
  std::string name;                    // an experiment, several separated by commas, or "all"
  std::string dataset;                 // HDF5 path
  std::filesystem::path out;           // results directory (experiments write out/NAME/)
  std::vector<std::string> overrides;  // key=value
  bool progress = true;
};
// Whether any of the named experiments (comma-separated, or "all") takes parameter `key`.
bool experiments_take(const std::string& names, const std::string& key);
// Validates the parameters of every experiment to run, then runs them.
// Keys that no selected experiment knows are rejected (ConfigError).
std::vector<ExperimentOutput> run_experiments(const ExperimentRun& run);

}  // namespace lrid

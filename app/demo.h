// `lrid demo`, the README's main job: the demo sweep, its dataset, every
// experiment of the paper on it with the demo's fast settings, and the HTML
// report, printing the report's path at the end.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace lrid {

struct DemoOptions {
  std::string sweep = "configs/sweeps/demo.yaml";
  std::string out = "out/demo";         // runs/, dataset.h5, results/, report.html
  std::vector<std::string> overrides;  // experiment parameters key=value, after the demo's own
  // The committed dataset of long runs (data/long): when the file exists, the
  // demo also runs separation and prefix on its four paper rules into
  // long/results and long/report.html, since its own sweep's runs (48 steps)
  // are too short for the rules to differ. "": skip.
  std::string long_dataset = "data/long/dataset.h5";
  int64_t jobs = 0;                    // concurrent runs (0: all cores)
  bool quiet = false;
};

// The demo's experiment settings: the fast grids and fewer subsets, so that the
// whole demo fits in minutes on 2 cores. The SVM at C=1 only: larger C runs
// liblinear's dual solver to its iteration limit.
std::vector<std::string> demo_experiment_parameters();

// The experiment settings of the demo's second part, on the committed long dataset.
std::vector<std::string> demo_long_parameters();

// Runs the four steps (and the long dataset's part); returns the process exit code.
int run_demo(const DemoOptions& options);

}  // namespace lrid

// The registry of classifiers (science.md §6.4–§6.6), like those of models and
// rules: each name maps to its one-line help, its label in figures and
// reports, its hyperparameter grids and a factory of configured models. Every
// other file asks the registry; no file outside classifiers/registry.cpp names
// rf, svm or conv1d.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "classifiers/grid.h"
#include "classifiers/trajectory_model.h"
#include "core/registry.h"

namespace lrid {

// Axis overrides of a grid: key -> explicit values (e.g. n_estimators -> {"100"}).
using GridOverrides = std::map<std::string, std::vector<std::string>>;

struct ClassifierSpec {
  std::string label;  // "Random forest", "Linear SVM", "Conv1D MLP"
  // The grid "paper" or "fast" for trajectories of `time_points` points, in
  // grid order (which breaks ties in model selection); throws ConfigError for
  // an unknown grid name or an override of an axis the classifier lacks.
  std::function<std::vector<GridConfig>(const std::string& grid, int64_t time_points, const GridOverrides& overrides)>
      grid;
  // A configured, unfitted model; ConfigError for a configuration that cannot be built.
  std::function<std::unique_ptr<TrajectoryModel>(const GridConfig& config, int64_t time_points, uint64_t seed,
                                                 int64_t n_jobs)>
      make;
  // Whether scores() are probabilities (forest votes, softmax) rather than decision values.
  bool probabilistic = true;
  // When no configuration of the grid fits the training rows, the configuration to try instead
  // (Conv1D, §6.6: batch = rows); empty: none.
  std::function<std::vector<GridConfig>(const std::vector<GridConfig>& grid)> fallback;
};

const Registry<ClassifierSpec>& classifier_registry();
// The entry of a classifier name; ConfigError naming `what` (e.g. "--classifier") when unknown.
const ClassifierSpec& classifier_spec(const std::string& name, const std::string& what = "--classifier");

}  // namespace lrid

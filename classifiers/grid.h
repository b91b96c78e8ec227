// Hyperparameter grids of the three classifiers (science.md §6.4–§6.6), as
// ordered lists of configurations (key -> value strings, in grid order, which
// breaks ties in model selection).
//   rf      paper: max_features {sqrt, log2, all} x n_estimators {20, 50, 100, 500, 1000} (15)
//           fast:  max_features {sqrt} x n_estimators {100}
//   svm     paper: C {1, 5e1, ..., 5e6} without PCA (7), then pca {10, 20, 30, 40, 50, 100, 200,
//           300, 400, 500, 600} x the same C (77)
//           fast:  C {1, 50, 5000} without PCA, then pca {20} x C {1}
//   conv1d  paper: lr {1e-3, 1e-4} x kernel {ceil(f T): f in 0.003, 0.007, 0.05, 0.25, 0.5, 1}
//           x stride {1, 2, 4} x filters {20, 40} x batch {512, 1024} x pooling {none, max, avg}
//           x wd {1e-4, 0} (720 at T = 21), 400 epochs
//           fast:  lr {1e-3} x kernel {ceil(0.25 T), T} x stride {1} x filters {20} x batch
//           {512} x pooling {max} x wd {0}, 100 epochs
// `overrides` replace an axis by explicit values (e.g. n_estimators -> {"100"}).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace lrid {

using GridConfig = std::vector<std::pair<std::string, std::string>>;

std::vector<GridConfig> classifier_grid(const std::string& classifier, const std::string& grid, int64_t time_points,
                                        const std::map<std::string, std::vector<std::string>>& overrides = {});
std::string config_text(const GridConfig& c);  // "k=v, k=v"
std::string config_value(const GridConfig& c, const std::string& key, const std::string& def = "");

}  // namespace lrid

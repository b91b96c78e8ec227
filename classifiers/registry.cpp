// The classifiers and their grids (science.md §6.4–§6.6). See registry.h.
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
#include "classifiers/registry.h"

#include <algorithm>
#include <cmath>

namespace lrid {
namespace {

using Values = std::vector<std::string>;

Values pick(bool paper, Values paper_values, Values fast_values) {
  return paper ? std::move(paper_values) : std::move(fast_values);
}

std::vector<GridConfig> forest_grid(const std::string& grid, int64_t, const GridOverrides& overrides) {
  const bool paper = grid == "paper";
  GridAxes axes = {{"max_features", pick(paper, {"sqrt", "log2", "all"}, {"sqrt"})},
                   {"n_estimators", pick(paper, {"20", "50", "100", "500", "1000"}, {"100"})}};
  apply_grid_overrides(axes, overrides, "rf");
  return grid_product(axes);
}

// Two pipelines, as in the paper: the SVM alone, then PCA followed by the SVM.
// An explicit pca axis replaces both pipelines' component lists ("none" keeps the plain one).
std::vector<GridConfig> svm_grid(const std::string& grid, int64_t, const GridOverrides& overrides) {
  const bool paper = grid == "paper";
  const Values cs = pick(paper, {"1", "50", "500", "5000", "50000", "500000", "5000000"}, {"1", "50", "5000"});
  GridAxes plain = {{"pca", {"none"}}, {"C", cs}};
  GridAxes with = {{"pca", pick(paper, {"10", "20", "30", "40", "50", "100", "200", "300", "400", "500", "600"}, {"20"})},
                   {"C", pick(paper, cs, {"1"})}};
  GridOverrides rest = overrides;
  bool keep_plain = true, keep_with = true;
  if (auto it = rest.find("pca"); it != rest.end()) {
    Values nums;
    for (const auto& v : it->second)
      if (v != "none") nums.push_back(v);
    keep_plain = nums.size() < it->second.size();
    keep_with = !nums.empty();
    with[0].second = nums;
    rest.erase(it);
  }
  apply_grid_overrides(plain, rest, "svm");
  apply_grid_overrides(with, rest, "svm");
  std::vector<GridConfig> out;
  if (keep_plain) out = grid_product(plain);
  if (keep_with) {
    auto w = grid_product(with);
    out.insert(out.end(), w.begin(), w.end());
  }
  return out;
}

std::vector<GridConfig> conv1d_grid(const std::string& grid, int64_t t, const GridOverrides& overrides) {
  const bool paper = grid == "paper";
  Values kernels;
  for (double f : paper ? std::vector<double>{0.003, 0.007, 0.05, 0.25, 0.5, 1.0} : std::vector<double>{0.25, 1.0}) {
    const std::string k = std::to_string(static_cast<int64_t>(std::ceil(f * static_cast<double>(t) - 1e-9)));
    if (std::find(kernels.begin(), kernels.end(), k) == kernels.end()) kernels.push_back(k);
  }
  GridAxes axes = {{"lr", pick(paper, {"0.001", "0.0001"}, {"0.001"})},
                   {"kernel", kernels},
                   {"stride", pick(paper, {"1", "2", "4"}, {"1"})},
                   {"filters", pick(paper, {"20", "40"}, {"20"})},
                   {"batch_size", pick(paper, {"512", "1024"}, {"512"})},
                   {"pooling", pick(paper, {"none", "max", "avg"}, {"max"})},
                   {"weight_decay", pick(paper, {"0.0001", "0"}, {"0"})},
                   {"epochs", pick(paper, {"400"}, {"100"})}};
  apply_grid_overrides(axes, overrides, "conv1d");
  return grid_product(axes);
}

// §6.6: when no batch size of the grid fits the training rows, the whole training set is one batch.
std::vector<GridConfig> conv1d_fallback(const std::vector<GridConfig>& grid) {
  if (grid.empty() || config_value(grid.front(), "batch_size") == "rows") return {};
  std::vector<GridConfig> out;
  for (GridConfig c : grid) {
    for (auto& kv : c)
      if (kv.first == "batch_size") kv.second = "rows";
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  return out;
}

}  // namespace

const Registry<ClassifierSpec>& classifier_registry() {
  static const Registry<ClassifierSpec> r = [] {
    Registry<ClassifierSpec> reg("classifier");
    reg.add("rf", "random forest of Gini trees on the 2-D layout (§6.4)", {},
            ClassifierSpec{"Random forest", forest_grid,
                           [](const GridConfig& c, int64_t, uint64_t seed, int64_t n_jobs) {
                             return forest_model(c, seed, n_jobs);
                           },
                           true, nullptr});
    reg.add("svm", "linear SVM (one-vs-rest), optionally after PCA, on the 2-D layout (§6.5)", {},
            ClassifierSpec{"Linear SVM", svm_grid,
                           [](const GridConfig& c, int64_t, uint64_t seed, int64_t) { return svm_model(c, seed); },
                           false, nullptr});
    reg.add("conv1d", "1-D convolution and MLP on the 3-D layout (§6.6)", {},
            ClassifierSpec{"Conv1D MLP", conv1d_grid,
                           [](const GridConfig& c, int64_t t, uint64_t seed, int64_t) { return conv1d_model(c, t, seed); },
                           true, conv1d_fallback});
    return reg;
  }();
  return r;
}

const ClassifierSpec& classifier_spec(const std::string& name, const std::string& what) {
  return classifier_registry().at(classifier_registry().canonical(name, what)).factory;
}

}  // namespace lrid

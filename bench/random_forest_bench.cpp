// Times lrid's random forest alone (fit and predict), for bench/random_forest_speed.py.
// Reads a CSV table (header-less rows "label,f0,f1,...") and a file of test row
// indices (comma separated, first line; all other rows train), prints one JSON line.
#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "../tests/classifiers/number_tables.h"
#include "classifiers/random_forest.h"
#include "core/errors.h"
#include "core/json.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lrid random forest benchmark"};
  std::string data_path, test_path;
  lrid::RandomForestOptions options;
  app.add_option("--data", data_path, "CSV table, label first")->required();
  app.add_option("--test", test_path, "file with the test row indices")->required();
  app.add_option("--n-estimators", options.n_estimators);
  app.add_option("--max-features", options.max_features);
  app.add_option("--n-jobs", options.n_jobs);
  app.add_option("--seed", options.seed);
  CLI11_PARSE(app, argc, argv);
  namespace tables = lrid::number_tables;
  try {
    const auto rows = tables::read_number_rows(data_path);
    const auto test_rows = tables::read_number_rows(test_path);
    if (rows.empty() || test_rows.empty()) throw lrid::DataError("empty table or test split");
    const tables::LabelledTable table = tables::labelled_table(rows);
    const auto [train, test] = tables::train_test_rows(test_rows[0], table.x.size(0));
    const torch::Tensor xtr = table.x.index_select(0, train), ytr = table.y.index_select(0, train);
    const torch::Tensor xte = table.x.index_select(0, test), yte = table.y.index_select(0, test);
    lrid::RandomForest forest(options);
    auto t0 = std::chrono::steady_clock::now();
    forest.fit(xtr, ytr, table.num_classes);
    const double fit_s = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    const torch::Tensor pred = forest.predict(xte);
    const double predict_s = seconds_since(t0);
    int64_t nodes = 0;
    for (const auto& tree : forest.trees()) nodes += static_cast<int64_t>(tree.feature.size());
    const lrid::Json line = {{"fit_s", fit_s},
                             {"predict_s", predict_s},
                             {"accuracy", pred.eq(yte).to(torch::kFloat64).mean().item<double>()},
                             {"n_train", ytr.size(0)},
                             {"n_test", yte.size(0)},
                             {"mean_nodes", static_cast<double>(nodes) / static_cast<double>(forest.num_trees())}};
    std::printf("%s\n", line.dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}

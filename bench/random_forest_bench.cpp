// Times lrid's random forest alone (fit and predict), for bench/random_forest_speed.py.
// Reads a CSV table (header-less rows "label,f0,f1,...") and a file of test row
// indices (comma separated, first line; all other rows train), prints one JSON line.
#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "classifiers/random_forest.h"
#include "core/errors.h"

namespace {

std::vector<std::vector<double>> read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw lrid::IoError("cannot open " + path);
  std::vector<std::vector<double>> rows;
  std::string line, cell;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<double> row;
    std::stringstream ss(line);
    while (std::getline(ss, cell, ',')) row.push_back(std::stod(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

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
  try {
    const auto rows = read_csv(data_path);
    const auto test_rows = read_csv(test_path);
    if (rows.empty() || test_rows.empty()) throw lrid::DataError("empty table or test split");
    const int64_t n = static_cast<int64_t>(rows.size()), d = static_cast<int64_t>(rows[0].size()) - 1;
    std::vector<char> is_test(static_cast<size_t>(n), 0);
    for (double v : test_rows[0]) is_test.at(static_cast<size_t>(v)) = 1;
    std::vector<double> xtr, xte;
    std::vector<int64_t> ytr, yte;
    int64_t num_classes = 0;
    for (const auto& row : rows) {
      const int64_t label = static_cast<int64_t>(row[0]);
      num_classes = std::max(num_classes, label + 1);
      const bool test = is_test[&row - rows.data()];
      (test ? xte : xtr).insert((test ? xte : xtr).end(), row.begin() + 1, row.end());
      (test ? yte : ytr).push_back(label);
    }
    auto as_x = [d](std::vector<double>& v) {
      return torch::from_blob(v.data(), {static_cast<int64_t>(v.size()) / d, d}, torch::kFloat64);
    };
    auto as_y = [](std::vector<int64_t>& v) {
      return torch::from_blob(v.data(), {static_cast<int64_t>(v.size())}, torch::kInt64);
    };
    lrid::RandomForest forest(options);
    auto t0 = std::chrono::steady_clock::now();
    forest.fit(as_x(xtr), as_y(ytr), num_classes);
    const double fit_s = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    const torch::Tensor pred = forest.predict(as_x(xte));
    const double predict_s = seconds_since(t0);
    const double accuracy = pred.eq(as_y(yte)).to(torch::kFloat64).mean().item<double>();
    int64_t nodes = 0;
    for (const auto& tree : forest.trees()) nodes += static_cast<int64_t>(tree.feature.size());
    std::printf("{\"fit_s\": %.6f, \"predict_s\": %.6f, \"accuracy\": %.6f, \"n_train\": %zu, \"n_test\": %zu, "
                "\"mean_nodes\": %.1f}\n",
                fit_s, predict_s, accuracy, ytr.size(), yte.size(),
                static_cast<double>(nodes) / static_cast<double>(forest.num_trees()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}

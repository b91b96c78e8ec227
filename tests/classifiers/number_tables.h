// Number tables as the classifiers' golden files (tests/golden/forest/,
// tests/golden/svm/) and bench/random_forest_bench.cpp store them: header-less
// CSV rows of numbers, "label,f0,f1,..." for data and rows of indices for test
// splits. Shared by the random forest and SVM tests and the benchmark (which
// includes it by a relative path), so all read tables the same way.
#pragma once
#include <torch/torch.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/csv.h"
#include "core/files.h"

namespace lrid::number_tables {

// Every non-empty row of the CSV file as numbers; IoError naming the file when it cannot be read.
inline std::vector<std::vector<double>> read_number_rows(const std::string& path) {
  std::vector<std::vector<double>> rows;
  for (const CsvRow& cells : parse_csv(read_file(path))) {
    if (cells.size() == 1 && cells[0].empty()) continue;  // a blank line
    std::vector<double> row;
    for (const auto& cell : cells) row.push_back(std::stod(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

struct LabelledTable {
  torch::Tensor x, y;  // float64 [n, d], int64 [n]
  int64_t num_classes = 0;  // 1 + the largest label
};

// Rows "label,f0,f1,...": the labels and the features.
inline LabelledTable labelled_table(const std::vector<std::vector<double>>& rows) {
  const int64_t n = static_cast<int64_t>(rows.size()), d = static_cast<int64_t>(rows.at(0).size()) - 1;
  LabelledTable t{torch::empty({n, d}, torch::kFloat64), torch::empty({n}, torch::kInt64)};
  auto x = t.x.accessor<double, 2>();
  auto y = t.y.accessor<int64_t, 1>();
  for (int64_t i = 0; i < n; ++i) {
    if (static_cast<int64_t>(rows[i].size()) != d + 1) throw std::runtime_error("labelled_table: rows of unequal length");
    y[i] = static_cast<int64_t>(rows[i][0]);
    t.num_classes = std::max(t.num_classes, y[i] + 1);
    for (int64_t f = 0; f < d; ++f) x[i][f] = rows[i][f + 1];
  }
  return t;
}

// The labelled table of a CSV file of rows "label,f0,f1,...".
inline LabelledTable read_labelled_table(const std::string& path) { return labelled_table(read_number_rows(path)); }

// (train rows, test rows) of a table of n rows, as int64 index tensors: the test rows listed, the others train.
inline std::pair<torch::Tensor, torch::Tensor> train_test_rows(const std::vector<double>& test, int64_t n) {
  std::vector<char> is_test(static_cast<size_t>(n), 0);
  for (double v : test) is_test.at(static_cast<size_t>(v)) = 1;
  std::vector<int64_t> tr, te;
  for (int64_t i = 0; i < n; ++i) (is_test[static_cast<size_t>(i)] ? te : tr).push_back(i);
  return {torch::tensor(tr, torch::kInt64), torch::tensor(te, torch::kInt64)};
}

}  // namespace lrid::number_tables

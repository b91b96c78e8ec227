// Golden values of the classifier tests (tests/golden/*.json, written by the
// tests/golden/make_*_golden.py scripts), read with core/json.h, as tensors.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/json.h"
#include "test_paths.h"

namespace lrid::test {

// A golden file by its path under tests/golden/.
inline Json golden_file(const std::string& relative) {
  return read_json(std::string(LRID_SOURCE_DIR) + "/tests/golden/" + relative);
}

// A list of numbers -> [n], or a list of equally long lists -> [rows, cols], of `type`.
inline torch::Tensor golden_tensor(const Json& j, torch::ScalarType type = torch::kFloat64) {
  std::vector<double> v;
  const bool nested = !j.empty() && j.front().is_array();
  for (const auto& row : j) {
    if (!nested) {
      v.push_back(row.get<double>());
      continue;
    }
    for (const auto& e : row) v.push_back(e.get<double>());
  }
  torch::Tensor t = torch::tensor(v, torch::kFloat64);
  if (nested) t = t.reshape({static_cast<int64_t>(j.size()), -1});
  return t.to(type);
}

}  // namespace lrid::test

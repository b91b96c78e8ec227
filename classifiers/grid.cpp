// Grid mechanics. See grid.h; the grids are in classifiers/registry.cpp.
#include "classifiers/grid.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <sstream>

#include "classifiers/registry.h"
#include "core/errors.h"

namespace lrid {

std::vector<GridConfig> grid_product(const GridAxes& axes) {
  std::vector<GridConfig> out{{}};
  for (const auto& [key, values] : axes) {
    std::vector<GridConfig> next;
    for (const auto& c : out)
      for (const auto& v : values) {
        GridConfig d = c;
        d.emplace_back(key, v);
        next.push_back(d);
      }
    out = next;
  }
  return out;
}

void apply_grid_overrides(GridAxes& axes, const std::map<std::string, std::vector<std::string>>& overrides,
                          const std::string& classifier) {
  for (const auto& kv : overrides) {
    const std::string& key = kv.first;  // a lambda may not capture a structured binding before C++20 (clang)
    const std::vector<std::string>& values = kv.second;
    auto it = std::find_if(axes.begin(), axes.end(), [&](const auto& a) { return a.first == key; });
    if (it == axes.end()) {
      std::vector<std::string> keys;
      for (const auto& a : axes) keys.push_back(a.first);
      throw ConfigError(fmt::format("--set {}: not a hyperparameter of {} ({})", key, classifier, fmt::join(keys, ", ")));
    }
    if (values.empty()) throw ConfigError(fmt::format("--set {}: no values", key));
    it->second = values;
  }
}

void check_grid_name(const std::string& grid) {
  if (grid != "paper" && grid != "fast") throw ConfigError(fmt::format("--grid '{}': expected paper or fast", grid));
}

std::vector<GridConfig> classifier_grid(const std::string& classifier, const std::string& grid, int64_t time_points,
                                        const std::map<std::string, std::vector<std::string>>& overrides) {
  check_grid_name(grid);
  return classifier_spec(classifier).grid(grid, time_points, overrides);
}

std::string config_text(const GridConfig& c) {
  std::string s;
  for (const auto& [k, v] : c) s += (s.empty() ? "" : ", ") + k + "=" + v;
  return s;
}

std::string config_value(const GridConfig& c, const std::string& key, const std::string& def) {
  for (const auto& [k, v] : c)
    if (k == key) return v;
  return def;
}

bool config_has(const GridConfig& c, const std::string& key) {
  return std::any_of(c.begin(), c.end(), [&](const auto& kv) { return kv.first == key; });
}

std::pair<std::string, std::vector<std::string>> parse_grid_override(const std::string& text, const std::string& what) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw ConfigError(fmt::format("{} '{}': expected KEY=V1,V2", what, text));
  std::vector<std::string> values;
  std::stringstream ss(text.substr(eq + 1));
  for (std::string v; std::getline(ss, v, ',');)
    if (!v.empty()) values.push_back(v);
  return {text.substr(0, eq), values};
}

}  // namespace lrid

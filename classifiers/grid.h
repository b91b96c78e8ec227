// Hyperparameter grids of the classifiers (science.md §6.4–§6.6), as ordered
// lists of configurations (key -> value strings, in grid order, which breaks
// ties in model selection). The grids themselves are in each classifier's
// registry entry (classifiers/registry.cpp); this file holds the mechanics.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace lrid {

using GridConfig = std::vector<std::pair<std::string, std::string>>;
// Named axes, each with its values in order.
using GridAxes = std::vector<std::pair<std::string, std::vector<std::string>>>;

// Every combination of the axes, the first axis varying slowest.
std::vector<GridConfig> grid_product(const GridAxes& axes);
// Replaces the values of each overridden axis; ConfigError naming the key when
// `classifier` has no such axis or the override lists no value.
void apply_grid_overrides(GridAxes& axes, const std::map<std::string, std::vector<std::string>>& overrides,
                          const std::string& classifier);

// ConfigError "--grid '<name>': expected paper or fast" unless `grid` is one of those.
void check_grid_name(const std::string& grid);
// "KEY=V1,V2" -> {KEY, {V1, V2}} (empty values dropped); ConfigError naming `what` and the text otherwise.
std::pair<std::string, std::vector<std::string>> parse_grid_override(const std::string& text, const std::string& what);
// The grid of a registered classifier ("paper" or "fast") at `time_points`,
// with `overrides` applied (classifier_registry()'s entry does the work).
std::vector<GridConfig> classifier_grid(const std::string& classifier, const std::string& grid, int64_t time_points,
                                        const std::map<std::string, std::vector<std::string>>& overrides = {});
std::string config_text(const GridConfig& c);  // "k=v, k=v"
std::string config_value(const GridConfig& c, const std::string& key, const std::string& def = "");
// Whether the configuration has axis `key`.
bool config_has(const GridConfig& c, const std::string& key);

}  // namespace lrid

// Dataset queries the experiments share: rows by a meta column's value, a
// column's distinct values, the chance level, and the rows an experiment
// reads (the rules kept, then one recorded measurement condition).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "trajectories/trajectory_dataset.h"

namespace lrid {

// Chance level of a balanced problem over the dataset's rules: 1 / (number of rules); NaN without rows.
double chance_level(const TrajectoryDataset& data);
// The rows whose meta column `key` equals `value` (as text); DataError when there is no such column.
std::vector<int64_t> rows_where(const TrajectoryDataset& data, const std::string& key, const std::string& value);
// Distinct values of a meta column (as text), sorted (numerically when every value is a number).
std::vector<std::string> distinct_values(const TrajectoryDataset& data, const std::string& key);

// The rows of `rules` (every row when empty); DataError naming `path` and the
// rule when a rule has no row.
TrajectoryDataset select_rules(const TrajectoryDataset& data, const std::vector<std::string>& rules,
                               const std::string& path);
// The rows matching every KEY=VALUE of `where` (meta column KEY equals VALUE as
// text; every row when empty); ConfigError for an entry that is not KEY=VALUE,
// DataError naming `path` when no row matches or the column is missing.
TrajectoryDataset select_where(const TrajectoryDataset& data, const std::vector<std::string>& where,
                               const std::string& path);
// The rows of measurement condition `condition` (every row when it is '' or the
// dataset has no condition column); DataError naming `path` when none matches.
TrajectoryDataset select_condition(const TrajectoryDataset& data, const std::string& condition,
                                   const std::string& path);

}  // namespace lrid

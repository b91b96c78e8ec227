// Dataset queries of the experiments. See selection.h.
#include "experiments/selection.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/errors.h"

namespace lrid {
namespace {

const MetaColumn& meta_column(const TrajectoryDataset& data, const std::string& key) {
  auto it = data.meta.find(key);
  if (it == data.meta.end()) throw DataError(fmt::format("the dataset has no meta column '{}'", key));
  return it->second;
}

// `x` read as a number, when the whole of it is one.
bool parse_number(const std::string& x, double& out) {
  try {
    std::size_t n = 0;
    out = std::stod(x, &n);
    return n == x.size();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

double chance_level(const TrajectoryDataset& data) {
  std::set<std::string> rules(data.y.begin(), data.y.end());
  return rules.empty() ? NAN : 1.0 / static_cast<double>(rules.size());
}

std::vector<int64_t> rows_where(const TrajectoryDataset& data, const std::string& key, const std::string& value) {
  const MetaColumn& column = meta_column(data, key);
  std::vector<int64_t> out;
  for (int64_t i = 0; i < data.rows(); ++i)
    if (column.as_string(i) == value) out.push_back(i);
  return out;
}

std::vector<std::string> distinct_values(const TrajectoryDataset& data, const std::string& key) {
  const MetaColumn& column = meta_column(data, key);
  std::set<std::string> s;
  for (int64_t i = 0; i < data.rows(); ++i) s.insert(column.as_string(i));
  std::vector<std::string> v(s.begin(), s.end());
  double d = 0;
  if (std::all_of(v.begin(), v.end(), [&](const std::string& x) { return parse_number(x, d); }))
    std::sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) {
      double x = 0, y = 0;
      parse_number(a, x);
      parse_number(b, y);
      return x < y;
    });
  return v;
}

TrajectoryDataset select_rules(const TrajectoryDataset& data, const std::vector<std::string>& rules,
                               const std::string& path) {
  if (rules.empty()) return data;
  std::vector<int64_t> rows;
  for (int64_t r = 0; r < data.rows(); ++r)
    if (std::find(rules.begin(), rules.end(), data.y[static_cast<std::size_t>(r)]) != rules.end()) rows.push_back(r);
  for (const auto& r : rules)
    if (std::find(data.y.begin(), data.y.end(), r) == data.y.end())
      throw DataError(fmt::format("{}: rules: no rows of rule '{}'", path, r));
  return data.subset(rows);
}

TrajectoryDataset select_where(const TrajectoryDataset& data, const std::vector<std::string>& where,
                               const std::string& path) {
  TrajectoryDataset d = data;
  for (const auto& w : where) {
    const auto eq = w.find('=');
    if (eq == std::string::npos || eq == 0) throw ConfigError(fmt::format("where: '{}': expected KEY=VALUE", w));
    const std::vector<int64_t> rows = rows_where(d, w.substr(0, eq), w.substr(eq + 1));
    if (rows.empty()) throw DataError(fmt::format("{}: where: no row has {}", path, w));
    d = d.subset(rows);
  }
  return d;
}

TrajectoryDataset select_condition(const TrajectoryDataset& data, const std::string& condition,
                                   const std::string& path) {
  if (condition.empty() || !data.meta.count("condition")) return data;
  const std::vector<int64_t> rows = rows_where(data, "condition", condition);
  if (rows.empty())
    throw DataError(fmt::format("{}: no rows of measurement condition '{}' (condition= selects one; '' takes every row)",
                                path, condition));
  return data.subset(rows);
}

}  // namespace lrid

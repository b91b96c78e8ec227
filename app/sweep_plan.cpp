// Sweep files and their expansion. See sweep_plan.h.
#include "app/sweep_plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "core/errors.h"
#include "core/yaml_text.h"
#include "training/config.h"

namespace lrid {
namespace fs = std::filesystem;

namespace {

using Axes = std::vector<std::pair<std::string, std::vector<std::string>>>;
// A grid key -> the values an exclude entry matches.
using ExcludeRule = std::map<std::string, std::vector<std::string>>;

std::string short_key(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0, dot;
  while ((dot = key.find('.', start)) != std::string::npos) {
    parts.push_back(key.substr(start, dot - start));
    start = dot + 1;
  }
  parts.push_back(key.substr(start));
  if (parts.size() >= 2 && parts.back() == "type") return parts.front();
  return parts.back();
}

std::string sanitize(std::string s) {
  for (char& c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) c = '_';
  return s;
}

// "path:line: message" at a key of the sweep file.
ConfigError at_key(const std::string& path, const YAML::Node& key, const std::string& message) {
  return ConfigError(fmt::format("{}:{}: {}", path, key.Mark().line + 1, message));
}

YAML::Node read_sweep_file(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError(fmt::format("{}: cannot read the sweep file", path));
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}:{}: {}", path, e.mark.line + 1, e.msg));
  }
  if (!root.IsMap()) throw ConfigError(fmt::format("{}: a sweep file is a map with base, grid, overrides, set", path));
  for (const auto& kv : root) {
    const std::string k = kv.first.as<std::string>();
    if (k != "base" && k != "grid" && k != "overrides" && k != "set" && k != "exclude")
      throw at_key(path, kv.first, fmt::format("unknown key '{}' (base, grid, overrides, set, exclude)", k));
  }
  return root;
}

std::string base_config(const YAML::Node& root, const std::string& path) {
  if (!root["base"] || !root["base"].IsScalar())
    throw ConfigError(fmt::format("{}: 'base' (the run config to sweep) is missing", path));
  fs::path base = root["base"].Scalar();
  if (base.is_relative()) base = fs::path(path).parent_path() / base;
  const std::string out = base.lexically_normal().string();
  std::error_code ec;  // the throwing overload escapes as filesystem_error (a name too long, ...)
  if (!fs::exists(out, ec)) throw ConfigError(fmt::format("{}: base config {} does not exist", path, out));
  return out;
}

// `set:` as key=value overrides, then the command line's.
std::vector<std::string> common_overrides(const YAML::Node& root, const std::string& path,
                                          const std::vector<std::string>& cli) {
  std::vector<std::string> common;
  if (root["set"]) {
    if (!root["set"].IsMap()) throw ConfigError(fmt::format("{}: 'set' must map keys to values", path));
    for (const auto& kv : root["set"]) common.push_back(kv.first.as<std::string>() + "=" + yaml_flow(kv.second));
  }
  common.insert(common.end(), cli.begin(), cli.end());
  return common;
}

Axes grid_axes(const YAML::Node& root, const std::string& path) {
  Axes axes;
  if (!root["grid"]) return axes;
  if (!root["grid"].IsMap()) throw ConfigError(fmt::format("{}: 'grid' must map keys to lists of values", path));
  for (const auto& kv : root["grid"]) {
    const std::string k = kv.first.as<std::string>();
    if (!kv.second.IsSequence() || kv.second.size() == 0)
      throw at_key(path, kv.first, fmt::format("grid key '{}' needs a non-empty list of values", k));
    std::vector<std::string> vals;
    for (const auto& v : kv.second) vals.push_back(yaml_flow(v));
    axes.emplace_back(k, vals);
  }
  return axes;
}

// overrides: "key=value" -> the extra key=value settings of runs with that grid value.
std::map<std::string, std::vector<std::string>> value_overrides(const YAML::Node& root, const std::string& path) {
  std::map<std::string, std::vector<std::string>> per_value;
  if (!root["overrides"]) return per_value;
  if (!root["overrides"].IsMap()) throw ConfigError(fmt::format("{}: 'overrides' must be a map", path));
  for (const auto& kv : root["overrides"]) {
    const std::string when = kv.first.as<std::string>();
    if (when.find('=') == std::string::npos || !kv.second.IsMap())
      throw at_key(path, kv.first, "overrides entries look like 'key=value: {key: value, ...}'");
    for (const auto& s : kv.second) per_value[when].push_back(s.first.as<std::string>() + "=" + yaml_flow(s.second));
  }
  return per_value;
}

// The cartesian product of the axes, first axis slowest, with names and per-value overrides.
std::vector<SweepRun> expand(const Axes& axes, const std::vector<std::string>& common,
                             const std::map<std::string, std::vector<std::string>>& per_value) {
  std::vector<SweepRun> runs{{"", common, {}}};
  for (const auto& [key, values] : axes) {
    std::vector<SweepRun> next;
    for (const auto& r : runs)
      for (const auto& v : values) {
        SweepRun n = r;
        n.name += (n.name.empty() ? "" : "_") + sanitize(short_key(key) + "-" + v);
        n.overrides.push_back(key + "=" + v);
        n.values.emplace_back(key, v);
        auto it = per_value.find(key + "=" + v);
        if (it != per_value.end()) n.overrides.insert(n.overrides.end(), it->second.begin(), it->second.end());
        next.push_back(n);
      }
    runs = next;
  }
  return runs;
}

std::vector<ExcludeRule> exclude_rules(const YAML::Node& root, const std::string& path, const Axes& axes) {
  std::vector<ExcludeRule> rules;
  if (!root["exclude"]) return rules;
  if (!root["exclude"].IsSequence())
    throw ConfigError(fmt::format("{}: 'exclude' must be a list of {{grid key: value(s)}} maps", path));
  for (const auto& e : root["exclude"]) {
    if (!e.IsMap() || e.size() == 0) throw at_key(path, e, "an exclude entry maps grid keys to values");
    ExcludeRule rule;
    for (const auto& kv : e) {
      const std::string k = kv.first.as<std::string>();
      if (std::none_of(axes.begin(), axes.end(), [&](const auto& a) { return a.first == k; }))
        throw at_key(path, kv.first, fmt::format("exclude key '{}' is not a grid key", k));
      if (kv.second.IsSequence())
        for (const auto& v : kv.second) rule[k].push_back(yaml_flow(v));
      else
        rule[k].push_back(yaml_flow(kv.second));
    }
    rules.push_back(rule);
  }
  return rules;
}

// Whether a run matches every key of an exclude entry (a list matches any of its values).
bool matches(const SweepRun& r, const ExcludeRule& rule) {
  for (const auto& entry : rule) {
    const std::string& k = entry.first;  // a lambda may not capture a structured binding before C++20 (clang)
    const std::vector<std::string>& vals = entry.second;
    auto it = std::find_if(r.values.begin(), r.values.end(), [&](const auto& kv) { return kv.first == k; });
    if (it == r.values.end() || std::find(vals.begin(), vals.end(), it->second) == vals.end()) return false;
  }
  return true;
}

// Unique names, and every run's configuration valid, before any compute.
void validate_runs(const std::vector<SweepRun>& runs, const std::string& base, const std::string& path) {
  std::map<std::string, int> seen;
  for (const auto& r : runs) {
    if (++seen[r.name] > 1) throw ConfigError(fmt::format("{}: two runs are named {}; grid values collide", path, r.name));
    try {
      load_config(base, r.overrides);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: run {}: {}", path, r.name, e.what()));
    }
  }
}

}  // namespace

namespace {

SweepPlan expand_sweep(const std::string& path, const std::vector<std::string>& cli_overrides) {
  const YAML::Node root = read_sweep_file(path);
  SweepPlan plan;
  plan.base = base_config(root, path);
  const Axes axes = grid_axes(root, path);
  std::vector<SweepRun> runs = expand(axes, common_overrides(root, path, cli_overrides), value_overrides(root, path));
  const auto rules = exclude_rules(root, path, axes);
  if (!rules.empty()) {
    runs.erase(std::remove_if(runs.begin(), runs.end(),
                              [&](const SweepRun& r) {
                                return std::any_of(rules.begin(), rules.end(),
                                                   [&](const ExcludeRule& x) { return matches(r, x); });
                              }),
               runs.end());
    if (runs.empty()) throw ConfigError(fmt::format("{}: 'exclude' leaves no run", path));
  }
  if (runs.size() == 1 && runs[0].name.empty()) runs[0].name = "run";
  validate_runs(runs, plan.base, path);
  plan.runs = runs;
  return plan;
}

}  // namespace

SweepPlan load_sweep(const std::string& path, const std::vector<std::string>& cli_overrides) {
  try {
    return expand_sweep(path, cli_overrides);
  } catch (const YAML::Exception& e) {
    // A node of an unexpected kind (a list as a key, a map as a grid value, ...) that no check above named.
    const std::string where = e.mark.is_null() ? path : fmt::format("{}:{}", path, e.mark.line + 1);
    throw ConfigError(fmt::format("{}: {}", where, e.msg));
  }
}

std::pair<int64_t, int64_t> parse_shard(const std::string& text) {
  std::string t = text;
  if (t.empty()) {
    const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
    const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
    if (!id || !count) return {0, 1};
    t = std::string(id) + "/" + count;
  }
  const auto slash = t.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("");
    const int64_t i = std::stoll(t.substr(0, slash)), n = std::stoll(t.substr(slash + 1));
    if (n < 1 || i < 0 || i >= n) throw std::invalid_argument("");
    return {i, n};
  } catch (const std::exception&) {
    throw ConfigError(fmt::format("--shard '{}': expected I/N with 0 <= I < N", t));
  }
}

std::vector<SweepRun> shard_runs(const SweepPlan& plan, int64_t shard, int64_t shards) {
  std::vector<SweepRun> mine;
  for (std::size_t i = 0; i < plan.runs.size(); ++i)
    if (static_cast<int64_t>(i) % shards == shard) mine.push_back(plan.runs[i]);
  return mine;
}

}  // namespace lrid

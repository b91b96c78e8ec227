// The experiment registry and run_experiments (see experiment.h): every
// selected experiment's parameters are validated and parsed into its typed
// options before the dataset is read; then provenance.json, and each
// experiment on its rows (selected once per rules and condition) into
// out/NAME/, its manifest.json written last.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <sstream>

#include "core/errors.h"
#include "core/files.h"
#include "experiments/experiment.h"
#include "experiments/experiments.h"
#include "experiments/provenance.h"
#include "experiments/selection.h"

namespace lrid {
namespace fs = std::filesystem;
namespace {

// Registers an experiment: its schema is common_schema() followed by its own
// keys; its factory parses validated Params into its typed options once and
// returns the run with those options bound.
template <class Options>
void add_experiment(Registry<ExperimentFn>& reg, const std::string& name, const std::string& help,
                    const OptionsBinding<Options>& own, ExperimentOutput (*run)(const ExperimentContext&, const Options&)) {
  Schema schema = common_schema();
  const Schema mine = own.schema();
  schema.insert(schema.end(), mine.begin(), mine.end());
  reg.add(name, help, schema, [&own, run](const Params& p) -> ExperimentRunFn {
    const Options options = own.parse(p);
    return [options, run](const ExperimentContext& ctx) { return run(ctx, options); };
  });
}

Registry<ExperimentFn> make_experiment_registry() {
  Registry<ExperimentFn> reg("experiment");
  add_experiment(reg, "separation",
                 "RF, SVM and Conv1D on every observable set: accuracy and confusion matrices (§7a)",
                 separation_binding(), run_separation);
  add_experiment(reg, "importance", "random-forest Gini importance per statistic, summed over the trajectory (§7b)",
                 importance_binding(), run_importance);
  add_experiment(reg, "subsampling",
                 "dense, intermediate and sparse schemes and random subsets of time points (§7c)",
                 subsampling_binding(), run_subsampling);
  add_experiment(reg, "noise", "statistic-level noise and the recorded unit-undersampling/noise conditions (§7d)",
                 noise_binding(), run_noise);
  add_experiment(reg, "generalization",
                 "train on some architectures/tasks/curricula, test on the held-out ones (§7e)",
                 generalization_binding(), run_generalization);
  add_experiment(reg, "prefix",
                 "classifiers on trajectory prefixes: accuracy against the share of training observed, and how early "
                 "each observable set names the rule",
                 prefix_binding(), run_prefix);
  return reg;
}

// The key=value overrides as a YAML map (values parsed as YAML, so lists work).
YAML::Node parse_overrides(const std::vector<std::string>& overrides) {
  YAML::Node m(YAML::NodeType::Map);
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError(fmt::format("'{}': expected key=value, e.g. splits=5 or measures=[all,weight]", o));
    const std::string key = o.substr(0, eq);
    YAML::Node v;
    try {
      v = YAML::Load(o.substr(eq + 1));
    } catch (const YAML::Exception& e) {
      throw ConfigError(fmt::format("'{}': cannot parse the value ({})", o, e.msg));
    }
    if (key == "set" && !v.IsSequence()) {
      // set=KEY=V1,V2 (repeatable) appends one axis override; a YAML list would split at the commas.
      if (!m["set"]) m["set"] = YAML::Node(YAML::NodeType::Sequence);
      m["set"].push_back(o.substr(eq + 1));
      continue;
    }
    m[key] = v;
  }
  return m;
}

// One experiment to run, its parameters validated and parsed.
struct PlannedExperiment {
  std::string name;
  CommonOptions common;
  ExperimentRunFn run;
};

// Validates and parses every parameter before any data is read: each
// experiment takes the keys its schema knows; a key none knows is an error.
std::vector<PlannedExperiment> plan(const std::vector<std::string>& names, const std::vector<std::string>& overrides) {
  const auto& reg = experiment_registry();
  const YAML::Node given = parse_overrides(overrides);
  std::set<std::string> known;
  std::vector<PlannedExperiment> planned;
  for (const auto& n : names) {
    const Schema& schema = reg.schema(n);
    YAML::Node mine(YAML::NodeType::Map);
    for (const auto& kv : given) {
      const std::string k = kv.first.as<std::string>();
      if (std::any_of(schema.begin(), schema.end(), [&](const ParamSpec& s) { return s.name == k; })) {
        mine[k] = kv.second;
        known.insert(k);
      }
    }
    const Params p = parse_params(schema, mine, ConfigSource{"lrid experiment " + n, {}}, "");
    planned.push_back({n, common_options(p), reg.at(n).factory(p)});
  }
  for (const auto& kv : given)
    if (!known.count(kv.first.as<std::string>()))
      throw ConfigError(fmt::format("'{}': no parameter of {} (see lrid experiment --list)", kv.first.as<std::string>(),
                                    fmt::join(names, ", ")));
  return planned;
}

// The rows each experiment reads, selected once per (rules) and per (rules, condition).
class RowSelections {
 public:
  RowSelections(const TrajectoryDataset& all, std::string path) : all_(all), path_(std::move(path)) {}
  // Every condition of the rules kept, of the rows `where` keeps.
  const TrajectoryDataset& pool(const CommonOptions& o) {
    const std::string key = fmt::format("{}|{}", fmt::join(o.rules, ","), fmt::join(o.where, ","));
    if (!by_rules_.count(key)) by_rules_.emplace(key, select_where(select_rules(all_, o.rules, path_), o.where, path_));
    return by_rules_.at(key);
  }
  // The condition's rows of those.
  const TrajectoryDataset& rows(const CommonOptions& o) {
    const std::string key = fmt::format("{}|{}|{}", fmt::join(o.rules, ","), fmt::join(o.where, ","), o.condition);
    if (!by_condition_.count(key)) by_condition_.emplace(key, select_condition(pool(o), o.condition, path_));
    return by_condition_.at(key);
  }

 private:
  const TrajectoryDataset& all_;
  std::string path_;
  std::map<std::string, TrajectoryDataset> by_rules_, by_condition_;
};

// Runs one experiment into out/NAME/ and writes its manifest last (it marks the experiment complete).
ExperimentOutput run_one(const PlannedExperiment& e, RowSelections& rows, const ExperimentRun& run) {
  const TrajectoryDataset& pool = rows.pool(e.common);
  const TrajectoryDataset& data = rows.rows(e.common);
  const fs::path dir = run.out / e.name;
  ensure_directory(dir);
  ExperimentContext ctx{data, pool, e.common, dir, run.dataset, run.progress};
  const auto t0 = std::chrono::steady_clock::now();
  ExperimentOutput out = e.run(ctx);
  out.name = e.name;
  out.wall_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  write_manifest(dir, out);
  return out;
}

}  // namespace

const Registry<ExperimentFn>& experiment_registry() {
  static const Registry<ExperimentFn> r = make_experiment_registry();
  return r;
}

namespace {

// "all" -> every experiment in order; otherwise one name or several separated by commas, canonical.
std::vector<std::string> experiment_list(const std::string& names) {
  if (names == "all") return experiment_names();
  const auto& reg = experiment_registry();
  std::vector<std::string> list;
  std::stringstream in(names);
  for (std::string n; std::getline(in, n, ',');) list.push_back(reg.canonical(n, "lrid experiment"));
  return list;
}

}  // namespace

bool experiments_take(const std::string& names, const std::string& key) {
  for (const auto& n : experiment_list(names)) {
    const Schema& schema = experiment_registry().schema(n);
    if (std::any_of(schema.begin(), schema.end(), [&](const ParamSpec& p) { return p.name == key; })) return true;
  }
  return false;
}

std::vector<ExperimentOutput> run_experiments(const ExperimentRun& run) {
  const std::vector<std::string> names = experiment_list(run.name);
  const std::vector<PlannedExperiment> planned = plan(names, run.overrides);
  const TrajectoryDataset all = read_dataset(run.dataset);
  ensure_directory(run.out);
  write_provenance(run.out, all, run.dataset);
  RowSelections rows(all, run.dataset);
  std::vector<ExperimentOutput> outs;
  for (const auto& e : planned) outs.push_back(run_one(e, rows, run));
  return outs;
}

}  // namespace lrid

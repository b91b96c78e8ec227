// Helpers shared by the experiments, the registry, and run_experiments. See experiment.h.
#include <fmt/format.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "core/errors.h"
#include "classifiers/registry.h"
#include "core/csv.h"
#include "core/files.h"
#include "core/json.h"
#include "core/version.h"
#include "experiments/experiment.h"
#include "experiments/experiments.h"

namespace lrid {
namespace fs = std::filesystem;

Schema common_schema() {
  return {
      int_param("splits", 10).at_least(1).describe("outer train/test splits of each protocol run"),
      int_param("seed", 0).at_least(0).describe("seed of the splits, subsets and classifiers"),
      string_param("grid", "paper").one_of({"paper", "fast"}).describe("classifier hyperparameter grid"),
      strings_param("set", {}).describe("grid axis override, repeatable: set=KEY=V1,V2 (e.g. set=n_estimators=100)"),
      int_param("jobs", 0).at_least(0).describe("random-forest threads (0: all cores)"),
      bool_param("drop_nonfinite", false).describe("drop rows with non-finite selected values (counted)"),
      string_param("condition", "full").describe("rows of this recorded measurement condition ('': every row)"),
      strings_param("rules", {}).describe("only rows of these rules (e.g. the paper's four: [adam,sgdm,ia,fa]); []: all"),
      strings_param("measures", {"all", "weight", "act", "grad"})
          .describe("observable sets: all (24), weight (13), act (8), grad (3), or comma-separated names"),
  };
}

ProtocolOptions protocol_options(const Params& p, const std::string& classifier, const std::string& observables) {
  ProtocolOptions o;
  o.classifier = classifier;
  o.observables = observables;
  o.grid = p.get_string("grid");
  o.splits = p.get_int("splits");
  o.seed = static_cast<uint64_t>(p.get_int("seed"));
  o.n_jobs = p.get_int("jobs");
  o.drop_nonfinite = p.get_bool("drop_nonfinite");
  o.progress = false;
  // set=[KEY=V1,V2, ...]: a key applies to every classifier whose grid has that axis
  // (n_estimators to rf, C to svm, ...); a key no classifier has is an error.
  for (const auto& s : p.get_strings("set")) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) throw ConfigError(fmt::format("set: '{}' is not KEY=V1,V2", s));
    const std::string key = s.substr(0, eq);
    bool anywhere = false, here = false;
    const auto classifiers = classifier_registry().names();
    for (const auto& c : classifiers) {
      const GridConfig first = classifier_grid(c, "fast", 21).front();
      const bool has = std::any_of(first.begin(), first.end(), [&](const auto& kv) { return kv.first == key; });
      anywhere = anywhere || has;
      here = here || (has && classifier == c);
    }
    if (!anywhere)
      throw ConfigError(fmt::format("set: '{}' is not a hyperparameter of {}", key, fmt::join(classifiers, ", ")));
    if (!here) continue;
    std::vector<std::string> values;
    std::stringstream ss(s.substr(eq + 1));
    for (std::string v; std::getline(ss, v, ',');)
      if (!v.empty()) values.push_back(v);
    o.set[key] = values;
  }
  return o;
}

double chance_level(const TrajectoryDataset& data) {
  std::set<std::string> rules(data.y.begin(), data.y.end());
  return rules.empty() ? NAN : 1.0 / static_cast<double>(rules.size());
}

std::vector<int64_t> rows_where(const TrajectoryDataset& data, const std::string& key, const std::string& value) {
  std::vector<int64_t> out;
  auto it = data.meta.find(key);
  if (it == data.meta.end()) throw DataError(fmt::format("the dataset has no meta column '{}'", key));
  for (int64_t i = 0; i < data.rows(); ++i)
    if (it->second.as_string(i) == value) out.push_back(i);
  return out;
}

std::vector<std::string> distinct_values(const TrajectoryDataset& data, const std::string& key) {
  auto it = data.meta.find(key);
  if (it == data.meta.end()) throw DataError(fmt::format("the dataset has no meta column '{}'", key));
  std::set<std::string> s;
  for (int64_t i = 0; i < data.rows(); ++i) s.insert(it->second.as_string(i));
  std::vector<std::string> v(s.begin(), s.end());
  auto number = [](const std::string& x, double& out) {
    try {
      std::size_t n = 0;
      out = std::stod(x, &n);
      return n == x.size();
    } catch (const std::exception&) {
      return false;
    }
  };
  bool numeric = true;
  for (const auto& x : v) {
    double d = 0;
    numeric = numeric && number(x, d);
  }
  if (numeric)
    std::sort(v.begin(), v.end(), [&](const std::string& a, const std::string& b) {
      double x = 0, y = 0;
      number(a, x);
      number(b, y);
      return x < y;
    });
  return v;
}

std::string pretty_measure(const std::string& o) {
  if (o == "all") return "all (24)";
  if (o == "weight") return "weights (13)";
  if (o == "act") return "activations (8)";
  if (o == "grad") return "activity change (3)";
  return o;
}

// ---- registry and running ----

const Registry<ExperimentFn>& experiment_registry() {
  static const Registry<ExperimentFn> r = [] {
    Registry<ExperimentFn> reg("experiment");
    auto with = [](Schema extra) {
      Schema s = common_schema();
      s.insert(s.end(), extra.begin(), extra.end());
      return s;
    };
    reg.add("separation", "RF, SVM and Conv1D on every observable set: accuracy and confusion matrices (§7a)",
            with(separation_schema()), run_separation);
    reg.add("importance", "random-forest Gini importance per statistic, summed over the trajectory (§7b)",
            with(importance_schema()), run_importance);
    reg.add("subsampling", "dense, intermediate and sparse schemes and random subsets of time points (§7c)",
            with(subsampling_schema()), run_subsampling);
    reg.add("noise", "statistic-level noise and the recorded unit-undersampling/noise conditions (§7d)",
            with(noise_schema()), run_noise);
    reg.add("generalization", "train on some architectures/tasks/curricula, test on the held-out ones (§7e)",
            with(generalization_schema()), run_generalization);
    return reg;
  }();
  return r;
}

namespace {

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

// provenance.json: the dataset's size, rows per rule and per setting, its attributes, and this lrid.
Json provenance_json(const TrajectoryDataset& d, const std::string& path) {
  auto counts = [&](const std::vector<std::string>& values) {
    std::map<std::string, int64_t> c;
    for (const auto& v : values) ++c[v];
    Json j = Json::object();
    for (const auto& [k, v] : c) j[k] = v;
    return j;
  };
  Json columns = Json::object(), attributes = Json::object();
  for (const char* key : {"task", "architecture", "dataset", "batch_size", "condition"}) {
    if (!d.meta.count(key)) continue;
    std::vector<std::string> values;
    for (int64_t i = 0; i < d.rows(); ++i) values.push_back(d.meta.at(key).as_string(i));
    columns[key] = counts(values);
  }
  for (const auto& [k, v] : d.attributes) attributes[k] = v;
  return {{"dataset", path},         {"rows", d.rows()},
          {"time_points", d.time_points()}, {"observables", d.obs_keys.size()},
          {"rules", counts(d.y)},    {"columns", columns},
          {"attributes", attributes}, {"lrid_version", version()},
          {"lrid_commit", git_commit()}};
}

}  // namespace

std::vector<ExperimentOutput> run_experiments(const ExperimentRun& run) {
  const auto& reg = experiment_registry();
  std::vector<std::string> names;
  if (run.name == "all") names = experiment_names();
  else names = {reg.canonical(run.name, "lrid experiment")};
  // Validate every parameter before reading data: each experiment takes the keys its schema knows.
  const YAML::Node given = parse_overrides(run.overrides);
  std::set<std::string> known;
  std::vector<Params> params;
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
    params.push_back(parse_params(schema, mine, ConfigSource{"lrid experiment " + n, {}}, ""));
  }
  for (const auto& kv : given)
    if (!known.count(kv.first.as<std::string>()))
      throw ConfigError(fmt::format("'{}': no parameter of {} (see lrid experiment --list)", kv.first.as<std::string>(),
                                    fmt::join(names, ", ")));
  TrajectoryDataset all = read_dataset(run.dataset);
  std::error_code ec;
  fs::create_directories(run.out, ec);
  if (ec) throw IoError(fmt::format("{}: cannot create ({})", run.out.string(), ec.message()));
  write_json(run.out / "provenance.json", provenance_json(all, run.dataset));
  std::vector<ExperimentOutput> outs;
  // Row selections: the rules kept (every condition), then the condition's rows of those.
  std::map<std::string, TrajectoryDataset> by_rules, by_condition;
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::vector<std::string> rules = params[i].get_strings("rules");
    for (auto& r : rules) r = r == "feedback" ? "fa" : r == "information" ? "ia" : r;
    const std::string rkey = fmt::format("{}", fmt::join(rules, ","));
    if (!by_rules.count(rkey)) {
      if (rules.empty()) {
        by_rules.emplace(rkey, all);
      } else {
        std::vector<int64_t> rows;
        for (int64_t r = 0; r < all.rows(); ++r)
          if (std::find(rules.begin(), rules.end(), all.y[static_cast<std::size_t>(r)]) != rules.end()) rows.push_back(r);
        for (const auto& r : rules)
          if (std::find(all.y.begin(), all.y.end(), r) == all.y.end())
            throw DataError(fmt::format("{}: rules: no rows of rule '{}'", run.dataset, r));
        by_rules.emplace(rkey, all.subset(rows));
      }
    }
    const TrajectoryDataset& pool = by_rules.at(rkey);
    const std::string cond = params[i].get_string("condition");
    const std::string ckey = rkey + "|" + cond;
    if (!by_condition.count(ckey)) {
      if (cond.empty() || !pool.meta.count("condition")) {
        by_condition.emplace(ckey, pool);
      } else {
        std::vector<int64_t> rows = rows_where(pool, "condition", cond);
        if (rows.empty())
          throw DataError(fmt::format("{}: no rows of measurement condition '{}' (condition= selects one; '' takes "
                                      "every row)", run.dataset, cond));
        by_condition.emplace(ckey, pool.subset(rows));
      }
    }
    const fs::path dir = run.out / names[i];
    fs::create_directories(dir, ec);
    if (ec) throw IoError(fmt::format("{}: cannot create ({})", dir.string(), ec.message()));
    ExperimentContext ctx{by_condition.at(ckey), pool, params[i], dir, run.dataset, run.progress};
    const auto t0 = std::chrono::steady_clock::now();
    ExperimentOutput out = reg.at(names[i]).factory(ctx);
    out.name = names[i];
    out.wall_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    write_manifest(dir, out);  // last: marks the experiment complete
    outs.push_back(std::move(out));
  }
  return outs;
}

// ---- the shared protocol runner ----

ProtocolRunner::ProtocolRunner(const std::string& label, int64_t total, bool progress)
    : progress_(label, total, progress, 15.0) {}

ProtocolResult ProtocolRunner::run(const TrajectoryDataset& data, const ProtocolOptions& options, const std::string& what) {
  ProtocolResult r = run_protocol(data, options);
  progress_.update(++done_, fmt::format("{}: {:.3f}", what, r.accuracy_mean));
  return r;
}

void ProtocolRunner::finish() { progress_.finish(fmt::format("{} protocol runs", done_)); }

std::vector<double> split_accuracies(const ProtocolResult& r) {
  std::vector<double> a;
  for (const auto& s : r.splits) a.push_back(s.test_accuracy);
  return a;
}

Confusion row_normalised(const Confusion& c) {
  Confusion out = c;
  for (auto& row : out) {
    double sum = 0;
    for (double v : row) sum += v;
    for (double& v : row) v = sum > 0 ? v / sum : 0.0;
  }
  return out;
}

std::string pm(double mean, double sem) {
  return std::isfinite(sem) ? fmt::format("{:.3f} ± {:.3f}", mean, sem) : fmt::format("{:.3f}", mean);
}

std::string chosen_config(const ProtocolResult& r) {
  std::map<std::string, int> count;
  for (const auto& s : r.splits) ++count[config_text(s.chosen)];
  std::string best;
  int n = -1;
  for (const auto& [k, v] : count)
    if (v > n) {
      best = k;
      n = v;
    }
  return best;
}

}  // namespace lrid

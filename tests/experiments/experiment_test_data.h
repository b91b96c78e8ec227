// Seeded synthetic trajectory datasets for the experiment tests, with the
// metadata the experiments read (architecture, task, run_id, condition,
// obs_frac, obs_stddev, weight_count), and a helper that writes one to HDF5.
#pragma once
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "trajectories/trajectory_dataset.h"
#include "core/files.h"
#include "experiments/experiment.h"
#include "observables/names.h"

namespace lrid::testing {

struct SyntheticSpec {
  std::vector<std::string> rules = {"adam", "sgdm", "ia", "fa"};
  int64_t rows_per_rule = 24;
  int64_t time_points = 21;
  std::vector<std::string> informative;  // observables whose level depends on the rule
  double signal = 4.0;                   // rule r adds signal * r (graded) at the informative time points
  std::vector<int64_t> signal_times;     // time points carrying the signal (empty: every point)
  std::vector<std::string> architectures = {"knet", "resnet18"};  // cycled over rows
  bool flip_by_architecture = false;     // the second architecture carries the opposite signal
  uint64_t seed = 1;
};

// The default spec with `informative` statistics carrying `signal` per rule step.
inline SyntheticSpec informative_spec(std::vector<std::string> informative, double signal) {
  SyntheticSpec s;
  s.informative = std::move(informative);
  s.signal = signal;
  return s;
}

// A quick dataset spec for tests that only need something to classify: 12 rows per
// rule, 3 time points, the rules separated by weightraw_mean.
inline SyntheticSpec quick_spec() {
  SyntheticSpec s = informative_spec({"weightraw_mean"}, 4.0);
  s.rows_per_rule = 12;
  s.time_points = 3;
  return s;
}

inline MetaColumn strings(std::vector<std::string> v) {
  MetaColumn c;
  c.kind = MetaColumn::Kind::kString;
  c.strings = std::move(v);
  return c;
}

inline TrajectoryDataset synthetic_dataset(const SyntheticSpec& s) {
  TrajectoryDataset d;
  d.obs_keys = admissible_observables();
  const auto k = static_cast<int64_t>(d.obs_keys.size()), nr = static_cast<int64_t>(s.rules.size());
  const int64_t n = s.rows_per_rule * nr, t = s.time_points;
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(s.seed);
  d.x = torch::randn({n, t, k}, g, torch::kFloat32);
  d.x_cat = torch::zeros({n, t, 3});
  std::vector<std::string> arch, task, run, layer, cond;
  MetaColumn frac, sd, wc, model_seed, data_seed;
  frac.kind = sd.kind = MetaColumn::Kind::kReal;
  wc.kind = model_seed.kind = data_seed.kind = MetaColumn::Kind::kInt;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = i % nr, a = (i / nr) % static_cast<int64_t>(s.architectures.size());
    d.y.push_back(s.rules[static_cast<std::size_t>(r)]);
    const double sign = s.flip_by_architecture && a == 1 ? -1.0 : 1.0;
    for (const auto& o : s.informative) {
      const auto j = std::find(d.obs_keys.begin(), d.obs_keys.end(), o) - d.obs_keys.begin();
      for (int64_t tt = 0; tt < t; ++tt)
        if (s.signal_times.empty() || std::find(s.signal_times.begin(), s.signal_times.end(), tt) != s.signal_times.end())
          d.x[i][tt][j] += static_cast<float>(sign * s.signal * static_cast<double>(r));
    }
    d.x_cat[i].select(1, i % 3).fill_(1.0f);
    arch.push_back(s.architectures[static_cast<std::size_t>(a)]);
    task.push_back((i / (nr * 2)) % 2 ? "simclr" : "supervised");
    // One row per run; seed group j / 4 holds a run of every rule on each (architecture, task)
    // pair of its rows, as a factorial sweep does (the splits by seed keep it whole).
    const int64_t seed = (i / nr) / 4;
    run.push_back(fmt::format("s{}-{}-{}-{}", seed, s.rules[static_cast<std::size_t>(r)], arch.back(),
                              (i / (nr * 2)) % 2));
    model_seed.ints.push_back(seed);
    data_seed.ints.push_back(seed);
    layer.push_back(fmt::format("layer{}", i % 3));
    cond.push_back("full");
    frac.reals.push_back(NAN);
    sd.reals.push_back(NAN);
    wc.ints.push_back(1000);
  }
  d.meta["architecture"] = strings(arch);
  d.meta["task"] = strings(task);
  d.meta["run_id"] = strings(run);
  d.meta["layer"] = strings(layer);
  d.meta["condition"] = strings(cond);
  d.meta["obs_frac"] = frac;
  d.meta["obs_stddev"] = sd;
  d.meta["weight_count"] = wc;
  d.meta["model_seed"] = model_seed;
  d.meta["dataset_seed"] = data_seed;
  d.time_epochs = torch::arange(t, torch::kFloat64) * 5.0;
  d.attributes["lrid_commit"] = "test";
  return d;
}

// Rows concatenated (every array and column), e.g. the same runs under two recorded conditions.
inline TrajectoryDataset concat(const TrajectoryDataset& a, const TrajectoryDataset& b) {
  TrajectoryDataset d = a;
  d.x = torch::cat({a.x, b.x});
  d.x_cat = torch::cat({a.x_cat, b.x_cat});
  d.y.insert(d.y.end(), b.y.begin(), b.y.end());
  for (auto& [key, col] : d.meta) {
    const MetaColumn& o = b.meta.at(key);
    col.strings.insert(col.strings.end(), o.strings.begin(), o.strings.end());
    col.ints.insert(col.ints.end(), o.ints.begin(), o.ints.end());
    col.reals.insert(col.reals.end(), o.reals.begin(), o.reals.end());
  }
  return d;
}

// A CSV written by an experiment, as maps from header names to cells (no quoted commas in the tests' files).
inline std::vector<std::map<std::string, std::string>> read_csv_rows(const std::filesystem::path& path) {
  std::istringstream in(read_file(path));
  std::string line;
  std::vector<std::string> header;
  std::getline(in, line);
  std::stringstream hs(line);
  for (std::string c; std::getline(hs, c, ',');) header.push_back(c);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    std::map<std::string, std::string> r;
    std::stringstream ls(line);
    std::size_t i = 0;
    for (std::string c; std::getline(ls, c, ','); ++i)
      if (i < header.size()) r[header[i]] = c;
    rows.push_back(r);
  }
  return rows;
}

// An experiment's parameters from a YAML map, validated against its registered schema.
inline Params experiment_params(const std::string& experiment, const std::string& yaml) {
  return parse_params(experiment_registry().schema(experiment), YAML::Load(yaml), ConfigSource{"test", {}}, "");
}

// Writes `data` under dir/NAME.h5 and runs one experiment (or all) on it with quick settings plus `extra`.
inline std::vector<ExperimentOutput> run_on(const TrajectoryDataset& data, const std::filesystem::path& dir,
                                            const std::string& experiment, std::vector<std::string> extra = {}) {
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "data.h5").string();
  write_dataset(file, data);
  ExperimentRun run;
  run.name = experiment;
  run.dataset = file;
  run.out = dir / "results";
  run.overrides = {"grid=fast", "splits=4", "set=n_estimators=40", "jobs=1"};
  run.overrides.insert(run.overrides.end(), extra.begin(), extra.end());
  run.progress = false;
  return run_experiments(run);
}

inline double accuracy_of(const std::vector<std::map<std::string, std::string>>& rows,
                          const std::map<std::string, std::string>& where) {
  for (const auto& r : rows) {
    bool ok = true;
    for (const auto& [k, v] : where) ok = ok && r.count(k) && r.at(k) == v;
    if (ok) return std::stod(r.at("accuracy_mean"));
  }
  return NAN;
}

}  // namespace lrid::testing

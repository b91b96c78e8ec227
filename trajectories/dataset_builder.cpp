// Collating runs into a dataset. See dataset_builder.h.
#include "trajectories/dataset_builder.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "core/errors.h"
#include "core/run_status.h"
#include "core/version.h"
#include "observables/names.h"
#include "observables/record_index.h"
#include "observables/stream.h"

namespace lrid {
namespace fs = std::filesystem;

std::vector<std::string> find_runs(const std::vector<std::string>& roots) {
  std::vector<std::string> runs;
  auto is_run = [](const fs::path& p) {
    return fs::exists(p / "status.json") && fs::exists(p / "observables" / "index.json");
  };
  for (const auto& root : roots) {
    if (!fs::is_directory(root)) throw DataError(fmt::format("{}: not a directory", root));
    if (is_run(root)) {
      runs.push_back(fs::path(root).lexically_normal().string());
      continue;
    }
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it)
      if (it->is_directory() && is_run(it->path())) {
        runs.push_back(it->path().lexically_normal().string());
        it.disable_recursion_pending();
      }
  }
  std::sort(runs.begin(), runs.end());
  if (runs.empty())
    throw DataError(fmt::format("no lrid runs (directories with status.json and observables/index.json) under {}",
                                fmt::join(roots, ", ")));
  return runs;
}

namespace {

// What a row takes from its run: the resolved configuration's settings and the record index.
struct RunInfo {
  std::string path, task, architecture, rule, dataset;
  int64_t batch_size = -1, model_seed = -1, data_seed = -1;
  RecordIndex index;
};

std::string scalar(const YAML::Node& n, const std::string& def = "") { return n && n.IsScalar() ? n.Scalar() : def; }

RunInfo read_run(const std::string& run) {
  const fs::path dir(run);
  RunInfo r;
  r.path = run;
  YAML::Node cfg;
  try {
    cfg = YAML::LoadFile((dir / "config.yaml").string());
  } catch (const YAML::Exception& e) {
    throw DataError(fmt::format("{}: unreadable config.yaml ({})", run, e.msg));
  }
  r.index = read_record_index(dir);
  r.task = scalar(cfg["task"]["type"]);
  r.architecture = scalar(cfg["model"]["type"]);
  r.rule = scalar(cfg["rule"]["type"]);
  r.dataset = scalar(cfg["data"]["type"]);
  const YAML::Node rp = cfg["run"]["parameters"];
  r.batch_size = std::stoll(scalar(rp["batch_size"], "-1"));
  r.model_seed = std::stoll(scalar(rp["model_seed"], "-1"));
  r.data_seed = std::stoll(scalar(rp["data_seed"], "-1"));
  return r;
}

// The per-row metadata columns (science.md §5.2), appended row by row.
class MetaColumns {
 public:
  void text(const std::string& k, const std::string& v) { col(k, MetaColumn::Kind::kString).strings.push_back(v); }
  void integer(const std::string& k, int64_t v) { col(k, MetaColumn::Kind::kInt).ints.push_back(v); }
  void real(const std::string& k, double v) { col(k, MetaColumn::Kind::kReal).reals.push_back(v); }
  std::map<std::string, MetaColumn> take() { return std::move(columns_); }

 private:
  MetaColumn& col(const std::string& k, MetaColumn::Kind kind) {
    MetaColumn& c = columns_[k];
    c.kind = kind;
    return c;
  }
  std::map<std::string, MetaColumn> columns_;
};

void add_meta(MetaColumns& m, const RunInfo& r, const IndexLayer& layer, const IndexCondition& cond) {
  m.text("task", r.task);
  m.text("architecture", r.architecture);
  m.text("learning_rule", r.rule);
  m.text("dataset", r.dataset);
  m.integer("batch_size", r.batch_size);
  m.integer("model_seed", r.model_seed);
  m.integer("dataset_seed", r.data_seed);
  m.text("layer", layer.name);
  m.integer("layer_index", layer.index);
  m.integer("weight_count", layer.weights);
  m.text("layer_position", layer.position);
  m.text("run_id", fs::path(r.path).filename().string());
  m.text("run_path", r.path);
  m.text("condition", cond.name);
  m.real("obs_frac", cond.frac.value_or(std::nan("")));
  m.real("obs_stddev", cond.stddev.value_or(std::nan("")));
  m.integer("obs_seed", cond.seed);
}

// One layer's [T, K] trajectory of the kept observables (NaN where the stream has none).
// `t`: the points to read (all of the index's for a finished run).
torch::Tensor layer_trajectory(const StreamValues& s, const RunInfo& r, const std::string& cond, const std::string& layer,
                               const std::vector<std::string>& keep, int64_t t) {
  torch::Tensor x = torch::full({t, static_cast<int64_t>(keep.size())}, std::nanf(""));
  const auto lit = s.value.find(layer);
  if (lit == s.value.end()) throw DataError(fmt::format("{}: stream {} has no layer {}", r.path, cond, layer));
  auto a = x.accessor<float, 2>();
  for (std::size_t k = 0; k < keep.size(); ++k) {
    const auto oit = lit->second.find(keep[k]);
    if (oit == lit->second.end()) continue;
    for (int64_t p = 0; p < t; ++p) {
      const auto pit = oit->second.find(p);
      if (pit == oit->second.end())
        throw DataError(fmt::format("{}: stream {} misses point {} of layer {} (an unfinished record?)", r.path, cond, p,
                                    layer));
      a[p][static_cast<int64_t>(k)] = static_cast<float>(pit->second);
    }
  }
  return x;
}

// X_cat of a layer: the early/middle/deep one-hot [T, 3], constant along time.
torch::Tensor position_onehot(const std::string& position, int64_t t) {
  torch::Tensor c = torch::zeros({t, 3});
  c.select(1, position == "early" ? 0 : position == "middle" ? 1 : 2).fill_(1.0f);
  return c;
}

// The rows of datasets under construction, and the provenance gathered from the runs' status.json.
struct Collation {
  std::vector<torch::Tensor> xs, cats;
  std::vector<std::string> y;
  MetaColumns meta;
  std::set<std::string> commits, devices;
  double wall_time_s = 0;
  int64_t time_points = -1;
  torch::Tensor time_epochs;
};

// T must agree across runs; the first run's record epochs become time_epochs.
void check_time_points(Collation& c, const RunInfo& r) {
  const auto t = static_cast<int64_t>(r.index.points.size());
  if (c.time_points < 0) {
    c.time_points = t;
    std::vector<double> epochs;
    for (const auto& p : r.index.points) epochs.push_back(p.epoch);
    c.time_epochs = torch::tensor(epochs, torch::kFloat64);
  } else if (t != c.time_points) {
    throw DataError(fmt::format("{}: {} record points, other runs have {}; build datasets of equal T", r.path, t,
                                c.time_points));
  }
}

// One row per recorded layer of a condition's stream, over the collation's time points.
void add_layers(Collation& c, const StreamValues& s, const RunInfo& r, const IndexCondition& cond,
                const std::vector<std::string>& keep) {
  for (const auto& layer : r.index.layers) {
    c.xs.push_back(layer_trajectory(s, r, cond.name, layer.name, keep, c.time_points));
    c.cats.push_back(position_onehot(layer.position, c.time_points));
    c.y.push_back(r.rule);
    add_meta(c.meta, r, layer, cond);
  }
}

// The collated rows as a dataset (no rows: X [0, 0, K] and X_cat [0, 0, 3]).
TrajectoryDataset collated(Collation& c, const std::vector<std::string>& keep) {
  TrajectoryDataset d;
  d.obs_keys = keep;
  d.x = c.xs.empty() ? torch::zeros({0, 0, static_cast<int64_t>(keep.size())}) : torch::stack(c.xs);
  d.x_cat = c.cats.empty() ? torch::zeros({0, 0, 3}) : torch::stack(c.cats);
  d.y = std::move(c.y);
  d.time_epochs = c.time_epochs;
  d.meta = c.meta.take();
  return d;
}

void add_run(Collation& c, const RunInfo& r, const RunStatus& status, const DatasetBuildOptions& o,
             const std::vector<std::string>& keep) {
  check_time_points(c, r);
  if (status.result) {
    c.commits.insert(status.result->lrid_commit);
    c.wall_time_s += status.result->wall_time_s;
    c.devices.insert(status.result->device);
  }
  for (const auto& cond : r.index.conditions) {
    if (!o.conditions.empty() && std::find(o.conditions.begin(), o.conditions.end(), cond.name) == o.conditions.end())
      continue;
    add_layers(c, read_stream(fs::path(r.path) / "observables" / cond.file), r, cond, keep);
  }
}

void set_attributes(TrajectoryDataset& d, const Collation& c, const std::vector<std::string>& roots,
                    const DatasetBuildOptions& o, int64_t runs_used) {
  d.attributes["lrid_version"] = version();
  d.attributes["lrid_commit"] = git_commit();
  d.attributes["sources"] = fmt::format("{}", fmt::join(roots, "\n"));
  d.attributes["observables"] = o.all45 ? "all45" : "admissible (24)";
  d.attributes["runs"] = std::to_string(runs_used);
  d.attributes["run_lrid_commits"] = fmt::format("{}", fmt::join(c.commits, " "));
  d.attributes["run_devices"] = fmt::format("{}", fmt::join(c.devices, " "));
  d.attributes["run_wall_time_s_sum"] = fmt::format("{:.1f}", c.wall_time_s);
  for (const auto& [k, v] : o.attributes) d.attributes[k] = v;
}

// The points 0..p-1 that a (possibly still running) run's stream holds for every
// layer and kept observable: records are committed whole (observables/stream.h),
// so this is the number of records written so far.
int64_t recorded_points(const StreamValues& s, const RunInfo& r, const std::vector<std::string>& keep) {
  int64_t p = static_cast<int64_t>(r.index.points.size());
  for (const auto& layer : r.index.layers) {
    const auto lit = s.value.find(layer.name);
    if (lit == s.value.end()) return 0;
    for (const auto& k : keep) {
      const auto oit = lit->second.find(k);
      if (oit == lit->second.end()) continue;  // an observable this stream does not record stays NaN
      int64_t n = 0;
      while (n < p && oit->second.count(n)) ++n;
      p = std::min(p, n);
    }
  }
  return p;
}

}  // namespace

TrajectoryDataset read_run_so_far(const std::string& run_dir, const std::string& condition, bool all45) {
  const std::vector<std::string> keep = all45 ? all_observables() : admissible_observables();
  const RunInfo r = read_run(run_dir);
  const auto cit = std::find_if(r.index.conditions.begin(), r.index.conditions.end(),
                                [&](const IndexCondition& c) { return c.name == condition; });
  if (cit == r.index.conditions.end())
    throw DataError(fmt::format("{}: the run records no condition '{}'", run_dir, condition));
  const fs::path stream = fs::path(run_dir) / "observables" / cit->file;
  Collation c;
  c.time_points = 0;
  if (fs::exists(stream)) {
    const StreamValues s = read_stream(stream);
    c.time_points = recorded_points(s, r, keep);
    if (c.time_points > 0) add_layers(c, s, r, *cit, keep);
  }
  std::vector<double> epochs;
  for (int64_t p = 0; p < c.time_points; ++p) epochs.push_back(r.index.points[static_cast<std::size_t>(p)].epoch);
  c.time_epochs = torch::tensor(epochs, torch::kFloat64);
  TrajectoryDataset d = collated(c, keep);
  d.attributes["run_points"] = std::to_string(r.index.points.size());
  return d;
}

TrajectoryDataset build_dataset(const std::vector<std::string>& roots, const DatasetBuildOptions& o,
                                DatasetBuildReport* report_out) {
  DatasetBuildReport report;
  const auto runs = find_runs(roots);
  report.runs_found = static_cast<int64_t>(runs.size());
  const std::vector<std::string> keep = o.all45 ? all_observables() : admissible_observables();
  for (const auto& n : all_observables())
    if (std::find(keep.begin(), keep.end(), n) == keep.end()) report.dropped_observables.push_back(n);
  Collation c;
  for (const auto& run : runs) {
    std::optional<RunStatus> status;
    try {
      status = read_status(run);
    } catch (const Error&) {
    }
    if (!status || !status->finished()) {
      report.skipped.push_back(fmt::format("{}: status {}", run, status ? status->status : "unreadable"));
      continue;
    }
    add_run(c, read_run(run), *status, o, keep);
    ++report.runs_used;
  }
  if (c.xs.empty())
    throw DataError(fmt::format("no finished runs with observables under {} ({} runs found, {} skipped)",
                                fmt::join(roots, ", "), report.runs_found, report.skipped.size()));
  TrajectoryDataset d = collated(c, keep);
  set_attributes(d, c, roots, o, report.runs_used);
  d.validate("dataset");
  if (report_out) *report_out = report;
  return d;
}

}  // namespace lrid

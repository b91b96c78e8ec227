// Collating runs into a dataset. See dataset_builder.h.
#include "trajectories/dataset_builder.h"

#include <fmt/format.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "core/errors.h"
#include "core/files.h"
#include "core/run_status.h"
#include "core/version.h"
#include "observables/names.h"

namespace lrid {
namespace fs = std::filesystem;

std::vector<std::string> find_runs(const std::vector<std::string>& roots) {
  std::vector<std::string> runs;
  for (const auto& root : roots) {
    if (!fs::is_directory(root)) throw DataError(fmt::format("{}: not a directory", root));
    auto is_run = [](const fs::path& p) {
      return fs::exists(p / "status.json") && fs::exists(p / "observables" / "index.json");
    };
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

struct Stream {
  // [layer][observable][point] values
  std::map<std::string, std::map<std::string, std::map<int64_t, double>>> values;
};

Stream read_stream(const fs::path& csv) {
  Stream s;
  std::istringstream in(read_file(csv));
  std::string line;
  std::getline(in, line);
  if (line != "run,condition,point,step,epoch,layer,position,observable,value")
    throw DataError(fmt::format("{}: not an observable stream (header '{}')", csv.string(), line));
  int64_t n = 1;
  while (std::getline(in, line)) {
    ++n;
    std::vector<std::string> f;
    std::size_t pos = 0;
    for (int i = 0; i < 8; ++i) {
      auto c = line.find(',', pos);
      if (c == std::string::npos) throw DataError(fmt::format("{}:{}: malformed row", csv.string(), n));
      f.push_back(line.substr(pos, c - pos));
      pos = c + 1;
    }
    f.push_back(line.substr(pos));
    double v;
    try {
      v = std::stod(f[8]);  // also parses nan, inf, -inf
    } catch (const std::exception&) {
      throw DataError(fmt::format("{}:{}: bad value '{}'", csv.string(), n, f[8]));
    }
    s.values[f[5]][f[7]][std::stoll(f[2])] = v;
  }
  return s;
}

std::string scalar(const YAML::Node& n, const std::string& def = "") {
  return n && n.IsScalar() ? n.Scalar() : def;
}

}  // namespace

TrajectoryDataset build_dataset(const std::vector<std::string>& roots, const DatasetBuildOptions& o,
                                DatasetBuildReport* report_out) {
  DatasetBuildReport report;
  const auto runs = find_runs(roots);
  report.runs_found = static_cast<int64_t>(runs.size());
  const auto& all = all_observables();
  const std::vector<std::string> keep = o.all45 ? all : admissible_observables();
  for (const auto& n : all)
    if (std::find(keep.begin(), keep.end(), n) == keep.end()) report.dropped_observables.push_back(n);
  std::vector<torch::Tensor> xs, cats;
  TrajectoryDataset d;
  d.obs_keys = keep;
  std::map<std::string, MetaColumn> meta;
  auto add_s = [&](const std::string& k, const std::string& v) {
    meta[k].kind = MetaColumn::Kind::kString;
    meta[k].strings.push_back(v);
  };
  auto add_i = [&](const std::string& k, int64_t v) {
    meta[k].kind = MetaColumn::Kind::kInt;
    meta[k].ints.push_back(v);
  };
  auto add_r = [&](const std::string& k, double v) {
    meta[k].kind = MetaColumn::Kind::kReal;
    meta[k].reals.push_back(v);
  };
  int64_t time_points = -1;
  std::set<std::string> run_commits, devices;
  double run_wall = 0;
  for (const auto& run : runs) {
    const fs::path dir(run);
    const std::string status = status_name(dir);
    if (status != "finished") {
      report.skipped.push_back(fmt::format("{}: status {}", run, status));
      continue;
    }
    YAML::Node cfg, index;
    try {
      cfg = YAML::LoadFile((dir / "config.yaml").string());
      index = YAML::LoadFile((dir / "observables" / "index.json").string());
    } catch (const YAML::Exception& e) {
      throw DataError(fmt::format("{}: unreadable config.yaml or observables/index.json ({})", run, e.msg));
    }
    const auto points = index["points"];
    const int64_t t = static_cast<int64_t>(points.size());
    if (time_points < 0) {
      time_points = t;
      std::vector<double> epochs;
      for (const auto& p : points) epochs.push_back(p["epoch"].as<double>());
      d.time_epochs = torch::tensor(epochs, torch::kFloat64);
    } else if (t != time_points) {
      throw DataError(fmt::format("{}: {} record points, other runs have {}; build datasets of equal T", run, t,
                                  time_points));
    }
    try {
      YAML::Node st = YAML::LoadFile((dir / "status.json").string());
      if (st["lrid_commit"]) run_commits.insert(st["lrid_commit"].as<std::string>());
      if (st["wall_time_s"]) run_wall += st["wall_time_s"].as<double>();
      if (st["device"]) devices.insert(st["device"].as<std::string>());
    } catch (const YAML::Exception&) {
      // status.json was read above; its optional fields are provenance only
    }
    const std::string rule = scalar(cfg["rule"]["type"]);
    const YAML::Node rp = cfg["run"]["parameters"];
    for (const auto& cond : index["conditions"]) {
      const std::string cname = cond["name"].as<std::string>();
      if (!o.conditions.empty() && std::find(o.conditions.begin(), o.conditions.end(), cname) == o.conditions.end())
        continue;
      Stream s = read_stream(dir / "observables" / cond["file"].as<std::string>());
      for (const auto& layer : index["layers"]) {
        const std::string lname = layer["name"].as<std::string>();
        torch::Tensor x = torch::full({t, static_cast<int64_t>(keep.size())}, std::nanf(""));
        auto lit = s.values.find(lname);
        if (lit == s.values.end()) throw DataError(fmt::format("{}: stream {} has no layer {}", run, cname, lname));
        for (std::size_t k = 0; k < keep.size(); ++k) {
          auto oit = lit->second.find(keep[k]);
          if (oit == lit->second.end()) continue;
          for (int64_t p = 0; p < t; ++p) {
            auto pit = oit->second.find(p);
            if (pit == oit->second.end())
              throw DataError(fmt::format("{}: stream {} misses point {} of layer {} (an unfinished record?)", run,
                                          cname, p, lname));
            x[p][static_cast<int64_t>(k)] = static_cast<float>(pit->second);
          }
        }
        xs.push_back(x);
        const std::string pos = layer["position"].as<std::string>();
        torch::Tensor c = torch::zeros({t, 3});
        c.select(1, pos == "early" ? 0 : pos == "middle" ? 1 : 2).fill_(1.0f);
        cats.push_back(c);
        d.y.push_back(rule);
        add_s("task", scalar(cfg["task"]["type"]));
        add_s("architecture", scalar(cfg["model"]["type"]));
        add_s("learning_rule", rule);
        add_s("dataset", scalar(cfg["data"]["type"]));
        add_i("batch_size", std::stoll(scalar(rp["batch_size"], "-1")));
        add_i("model_seed", std::stoll(scalar(rp["model_seed"], "-1")));
        add_i("dataset_seed", std::stoll(scalar(rp["data_seed"], "-1")));
        add_s("layer", lname);
        add_i("layer_index", layer["index"].as<int64_t>());
        add_i("weight_count", layer["weights"] ? layer["weights"].as<int64_t>() : -1);
        add_s("layer_position", pos);
        add_s("run_id", fs::path(run).filename().string());
        add_s("run_path", run);
        add_s("condition", cname);
        add_r("obs_frac", cond["obs_frac"].IsNull() ? std::nan("") : cond["obs_frac"].as<double>());
        add_r("obs_stddev", cond["obs_stddev"].IsNull() ? std::nan("") : cond["obs_stddev"].as<double>());
        add_i("obs_seed", cond["obs_seed"].as<int64_t>());
      }
    }
    ++report.runs_used;
  }
  if (xs.empty())
    throw DataError(fmt::format("no finished runs with observables under {} ({} runs found, {} skipped)",
                                fmt::join(roots, ", "), report.runs_found, report.skipped.size()));
  d.x = torch::stack(xs);
  d.x_cat = torch::stack(cats);
  d.meta = meta;
  d.attributes["lrid_version"] = version();
  d.attributes["lrid_commit"] = git_commit();
  d.attributes["sources"] = fmt::format("{}", fmt::join(roots, "\n"));
  d.attributes["observables"] = o.all45 ? "all45" : "admissible (24)";
  d.attributes["runs"] = std::to_string(report.runs_used);
  d.attributes["run_lrid_commits"] = fmt::format("{}", fmt::join(run_commits, " "));
  d.attributes["run_devices"] = fmt::format("{}", fmt::join(devices, " "));
  d.attributes["run_wall_time_s_sum"] = fmt::format("{:.1f}", run_wall);
  for (const auto& [k, v] : o.attributes) d.attributes[k] = v;
  d.validate("dataset");
  if (report_out) *report_out = report;
  return d;
}

std::string dataset_summary(const TrajectoryDataset& d) {
  std::string s = fmt::format("rows {}  time points {}  observables {}\n", d.rows(), d.time_points(), d.obs_keys.size());
  if (d.time_epochs.defined() && d.time_epochs.numel() > 0)
    s += fmt::format("epochs {} … {}\n", d.time_epochs[0].item<double>(), d.time_epochs[-1].item<double>());
  auto counts = [&](const std::string& key, const std::vector<std::string>& values) {
    std::map<std::string, int64_t> c;
    for (const auto& v : values) ++c[v];
    std::string line = key + ":";
    for (const auto& [k, n] : c) line += fmt::format(" {} {}", k, n);
    return line + "\n";
  };
  s += counts("rules", d.y);
  for (const char* key : {"task", "architecture", "layer_position", "condition", "batch_size"})
    if (d.meta.count(key)) {
      std::vector<std::string> v;
      for (int64_t i = 0; i < d.rows(); ++i) v.push_back(d.meta.at(key).as_string(i));
      s += counts(key, v);
    }
  const int64_t bad = d.x.isfinite().logical_not().flatten(1).any(1).sum().item<int64_t>();
  s += fmt::format("rows with non-finite values: {}\n", bad);
  for (const auto& [k, v] : d.attributes) s += fmt::format("attribute {}: {}\n", k, v.substr(0, 200));
  return s;
}

}  // namespace lrid

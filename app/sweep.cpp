// Sweeps. See sweep.h.
#include "app/sweep.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <thread>

#include "training/config.h"
#include "core/errors.h"
#include "core/progress.h"
#include "core/files.h"
#include "core/run_status.h"

namespace lrid {
namespace fs = std::filesystem;

namespace {

std::string short_key(const std::string& key) {
  auto parts = std::vector<std::string>();
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

std::string emit_flow(const YAML::Node& n) {
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

}  // namespace

SweepPlan load_sweep(const std::string& path, const std::vector<std::string>& cli_overrides) {
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
      throw ConfigError(fmt::format("{}:{}: unknown key '{}' (base, grid, overrides, set, exclude)", path,
                                    kv.first.Mark().line + 1, k));
  }
  if (!root["base"] || !root["base"].IsScalar())
    throw ConfigError(fmt::format("{}: 'base' (the run config to sweep) is missing", path));
  SweepPlan plan;
  fs::path base = root["base"].Scalar();
  if (base.is_relative()) base = fs::path(path).parent_path() / base;
  plan.base = base.lexically_normal().string();
  if (!fs::exists(plan.base)) throw ConfigError(fmt::format("{}: base config {} does not exist", path, plan.base));
  std::vector<std::string> common;
  if (root["set"]) {
    if (!root["set"].IsMap()) throw ConfigError(fmt::format("{}: 'set' must map keys to values", path));
    for (const auto& kv : root["set"]) common.push_back(kv.first.as<std::string>() + "=" + emit_flow(kv.second));
  }
  common.insert(common.end(), cli_overrides.begin(), cli_overrides.end());
  std::vector<std::pair<std::string, std::vector<std::string>>> axes;
  if (root["grid"]) {
    if (!root["grid"].IsMap()) throw ConfigError(fmt::format("{}: 'grid' must map keys to lists of values", path));
    for (const auto& kv : root["grid"]) {
      const std::string k = kv.first.as<std::string>();
      if (!kv.second.IsSequence() || kv.second.size() == 0)
        throw ConfigError(fmt::format("{}:{}: grid key '{}' needs a non-empty list of values", path,
                                      kv.first.Mark().line + 1, k));
      std::vector<std::string> vals;
      for (const auto& v : kv.second) vals.push_back(emit_flow(v));
      axes.emplace_back(k, vals);
    }
  }
  std::map<std::string, std::vector<std::string>> per_value;
  if (root["overrides"]) {
    if (!root["overrides"].IsMap()) throw ConfigError(fmt::format("{}: 'overrides' must be a map", path));
    for (const auto& kv : root["overrides"]) {
      const std::string when = kv.first.as<std::string>();
      if (when.find('=') == std::string::npos || !kv.second.IsMap())
        throw ConfigError(fmt::format("{}:{}: overrides entries look like 'key=value: {{key: value, ...}}'", path,
                                      kv.first.Mark().line + 1));
      for (const auto& s : kv.second) per_value[when].push_back(s.first.as<std::string>() + "=" + emit_flow(s.second));
    }
  }
  std::vector<SweepRun> runs{{"", common}};
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
  // exclude: each entry maps grid keys to a value or a list of values; a run
  // matching every key of an entry is left out.
  if (root["exclude"]) {
    if (!root["exclude"].IsSequence())
      throw ConfigError(fmt::format("{}: 'exclude' must be a list of {{grid key: value(s)}} maps", path));
    std::vector<std::map<std::string, std::vector<std::string>>> rules;
    for (const auto& e : root["exclude"]) {
      if (!e.IsMap() || e.size() == 0)
        throw ConfigError(fmt::format("{}:{}: an exclude entry maps grid keys to values", path, e.Mark().line + 1));
      std::map<std::string, std::vector<std::string>> rule;
      for (const auto& kv : e) {
        const std::string k = kv.first.as<std::string>();
        if (std::none_of(axes.begin(), axes.end(), [&](const auto& a) { return a.first == k; }))
          throw ConfigError(fmt::format("{}:{}: exclude key '{}' is not a grid key", path, kv.first.Mark().line + 1, k));
        if (kv.second.IsSequence())
          for (const auto& v : kv.second) rule[k].push_back(emit_flow(v));
        else
          rule[k].push_back(emit_flow(kv.second));
      }
      rules.push_back(rule);
    }
    std::vector<SweepRun> kept;
    for (const auto& r : runs) {
      bool out = false;
      for (const auto& rule : rules) {
        bool all = true;
        for (const auto& [k, vals] : rule) {
          auto it = std::find_if(r.values.begin(), r.values.end(), [&](const auto& kv) { return kv.first == k; });
          all = all && it != r.values.end() && std::find(vals.begin(), vals.end(), it->second) != vals.end();
        }
        out = out || all;
      }
      if (!out) kept.push_back(r);
    }
    if (kept.empty()) throw ConfigError(fmt::format("{}: 'exclude' leaves no run", path));
    runs = kept;
  }
  if (runs.size() == 1 && runs[0].name.empty()) runs[0].name = "run";
  std::map<std::string, int> seen;
  for (const auto& r : runs) {
    if (++seen[r.name] > 1) throw ConfigError(fmt::format("{}: two runs are named {}; grid values collide", path, r.name));
    try {
      load_config(plan.base, r.overrides);  // validate every run before any compute
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: run {}: {}", path, r.name, e.what()));
    }
  }
  plan.runs = runs;
  return plan;
}

std::pair<int64_t, int64_t> parse_shard(const std::string& text) {
  std::string t = text;
  if (t.empty()) {
    const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
    const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
    if (!id || !count) return {0, 1};
    t = std::string(id) + "/" + count;
  }
  auto slash = t.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("");
    const int64_t i = std::stoll(t.substr(0, slash)), n = std::stoll(t.substr(slash + 1));
    if (n < 1 || i < 0 || i >= n) throw std::invalid_argument("");
    return {i, n};
  } catch (const std::exception&) {
    throw ConfigError(fmt::format("--shard '{}': expected I/N with 0 <= I < N", t));
  }
}

SweepSummary run_sweep(const SweepPlan& plan, const fs::path& out, const SweepOptions& o,
                       const std::string& lrid_binary) {
  if (o.jobs < 1) throw ConfigError(fmt::format("--jobs {}: must be at least 1", o.jobs));
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<SweepRun> mine;
  for (std::size_t i = 0; i < plan.runs.size(); ++i)
    if (static_cast<int64_t>(i) % o.shards == o.shard) mine.push_back(plan.runs[i]);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw IoError(fmt::format("{}: cannot create ({})", out.string(), ec.message()));
  SweepSummary sum;
  Progress progress(fmt::format("sweep {}", out.filename().string()), static_cast<int64_t>(mine.size()), o.progress, 30.0);
  // A running child: its run's index in `mine`, and whether the run had finished before
  // it started (then the child only checks the configuration, and the run counts as skipped).
  struct Child {
    std::size_t run;
    bool was_finished;
  };
  std::map<pid_t, Child> running;
  std::size_t next = 0, done = 0;
  auto collect = [&](pid_t pid, int status) {
    const Child child = running.at(pid);
    const SweepRun& r = mine[child.run];
    running.erase(pid);
    const fs::path dir = out / r.name;
    const std::string st = status_name(dir);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == 0 && st == "finished") {
      (child.was_finished ? sum.skipped : sum.finished) += 1;
    } else if (st == "diverged") {
      ++sum.diverged;
      sum.problems.push_back(fmt::format("{}: diverged (see {}/status.json)", r.name, dir.string()));
    } else {
      ++sum.failed;
      sum.problems.push_back(fmt::format("{}: failed with exit code {} (see {}/lrid.log)", r.name, code, dir.string()));
    }
    progress.update(static_cast<int64_t>(++done), fmt::format("{} finished, {} failed", sum.finished + sum.skipped,
                                                              sum.failed + sum.diverged));
  };
  while (next < mine.size() || !running.empty()) {
    while (next < mine.size() && static_cast<int64_t>(running.size()) < o.jobs) {
      const SweepRun& r = mine[next];
      const fs::path dir = out / r.name;
      fs::create_directories(dir, ec);
      const bool was_finished = status_name(dir) == "finished";
      std::vector<std::string> args = {lrid_binary, "train", plan.base};
      args.insert(args.end(), r.overrides.begin(), r.overrides.end());
      // One thread per run, whatever --jobs is: results do not depend on how a sweep is
      // parallelised or sharded (reduction order can depend on the thread count).
      args.push_back("run.parameters.threads=1");
      args.push_back(fmt::format("run.parameters.name={}", r.name));
      args.insert(args.end(), {"--quiet", "--out", dir.string()});
      pid_t pid = fork();
      if (pid < 0) throw IoError("cannot fork a run process");
      if (pid == 0) {
        int fd = ::open((dir / "lrid.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
          dup2(fd, 1);
          dup2(fd, 2);
        }
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(lrid_binary.c_str(), argv.data());
        _exit(127);
      }
      running[pid] = Child{next++, was_finished};
    }
    int status = 0;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid > 0 && running.count(pid)) collect(pid, status);
  }
  sum.wall_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  progress.finish(fmt::format("{} finished, {} skipped, {} failed, {} diverged", sum.finished, sum.skipped, sum.failed,
                              sum.diverged));
  return sum;
}

}  // namespace lrid

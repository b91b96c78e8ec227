// Sweeps: a base run configuration plus a grid over any dotted keys, expanded
// to runs with stable names, run as `lrid train` child processes (isolated: a
// run that fails or diverges is marked and the sweep goes on), resumable (a
// finished run is skipped, an interrupted one resumes from its checkpoint) and
// shardable (run i of the grid belongs to shard i mod N).
//
// Sweep file (YAML):
//   base: ../quickstart.yaml          # path relative to the sweep file
//   grid:                             # cartesian product, in this key order
//     rule.type: [sgdm, adam, fa, ia]
//     run.parameters.model_seed: [0, 1, 2]
//   overrides:                        # extra settings when a grid value is chosen
//     rule.type=adam: {optimizer.type: adam, optimizer.parameters.lr: 0.001}
//   set: {schedule.parameters.epochs: 1}   # applied to every run
//   exclude:                          # grid points to leave out (every key must match;
//     - {rule.type: adam, run.parameters.model_seed: [1, 2]}   # a list matches any value)
// Run names join "<key>-<value>" per grid key, where <key> is the last dotted
// component (or the section name for `*.type`), e.g. rule-adam_model_seed-2.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace lrid {

struct SweepRun {
  std::string name;
  std::vector<std::string> overrides;  // dotted key=value, applied to the base config
  std::vector<std::pair<std::string, std::string>> values;  // grid key -> value (YAML flow text)
};

struct SweepPlan {
  std::string base;  // base config path
  std::vector<SweepRun> runs;
};

// Parses and expands a sweep file; every run's configuration is validated
// (so a bad value fails before anything runs). Throws ConfigError.
SweepPlan load_sweep(const std::string& path, const std::vector<std::string>& overrides = {});

struct SweepOptions {
  int64_t jobs = 1;  // concurrent runs; each run uses one thread
  int64_t shard = 0, shards = 1;
  bool progress = true;
};

struct SweepSummary {
  int64_t finished = 0, skipped = 0, failed = 0, diverged = 0;
  double wall_time_s = 0;
  std::vector<std::string> problems;  // "run: reason"
};

// Shard from "I/N", or from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT when empty.
std::pair<int64_t, int64_t> parse_shard(const std::string& text);
SweepSummary run_sweep(const SweepPlan& plan, const std::filesystem::path& out, const SweepOptions& options,
                       const std::string& lrid_binary);

}  // namespace lrid

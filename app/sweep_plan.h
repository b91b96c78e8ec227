// Sweep files: a base run configuration plus a grid over any dotted keys,
// expanded to runs with stable names, every run's configuration validated
// before anything runs. Shard i of N holds the runs whose index is i mod N.
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

// Shard from "I/N", or from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT when empty ({0, 1} without them).
std::pair<int64_t, int64_t> parse_shard(const std::string& text);
// The runs of shard `shard` of `shards`: index i mod shards == shard, in plan order.
std::vector<SweepRun> shard_runs(const SweepPlan& plan, int64_t shard, int64_t shards);

}  // namespace lrid

// Sweep files: grid expansion and names, per-value overrides, exclusions, bad
// sweep files, and shards.
#include "app/sweep_plan.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "training/config.h"
#include "core/errors.h"
#include "core/files.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

std::string sweep_file(const std::string& name) {
  return std::string(LRID_SOURCE_DIR) + "/tests/fixtures/sweeps/" + name;
}

TEST(Sweep, ExpandsTheGridWithStableNamesAndPerValueOverrides) {
  SweepPlan p = load_sweep(sweep_file("small.yaml"));
  ASSERT_EQ(p.runs.size(), 4u);
  EXPECT_EQ(p.runs[0].name, "rule-sgdm_model_seed-0");
  EXPECT_EQ(p.runs[3].name, "rule-fa_model_seed-1");
  auto has = [](const SweepRun& r, const std::string& o) {
    return std::find(r.overrides.begin(), r.overrides.end(), o) != r.overrides.end();
  };
  EXPECT_TRUE(has(p.runs[2], "observables.parameters.gradavg_path=feedback"));
  EXPECT_FALSE(has(p.runs[0], "observables.parameters.gradavg_path=feedback"));
  EXPECT_TRUE(has(p.runs[1], "observables.parameters.points=5"));
  EXPECT_EQ(load_sweep(sweep_file("small.yaml")).runs[1].name, p.runs[1].name);
}

TEST(Sweep, ExcludeDropsGridPointsAndOverridesMayReplaceASection) {
  const fs::path f = fs::temp_directory_path() / fmt::format("lrid_sweep_excl_{}.yaml", static_cast<long>(getpid()));
  write_file_atomic(f, "base: " + sweep_file("../configs/good.yaml") +
                           "\ngrid:\n  model.type: [knet, knetc4]\n  task.type: [supervised, simclr]\n"
                           "  rule.type: [sgdm, fa, adam]\n"
                           "overrides:\n  model.type=knetc4: {data: {type: synthetic, parameters: {num_classes: 3, "
                           "image_size: 12, input_size: 12, train_size: 32, test_size: 16}}}\n"
                           "exclude:\n  - {model.type: knetc4, task.type: simclr}\n  - {rule.type: [fa, adam], "
                           "task.type: simclr}\n");
  SweepPlan p = load_sweep(f.string());
  // 2 x 2 x 3 = 12, minus knetc4 x simclr (3), minus knet x simclr x {fa, adam} (2).
  ASSERT_EQ(p.runs.size(), 7u);
  for (const auto& r : p.runs) {
    EXPECT_EQ(r.name.find("model-knetc4_task-simclr"), std::string::npos) << r.name;
    EXPECT_FALSE(r.name.find("task-simclr") != std::string::npos && r.name.find("rule-sgdm") == std::string::npos);
  }
  EXPECT_EQ(p.runs[0].name, "model-knet_task-supervised_rule-sgdm");
  // The whole data section is replaced for knetc4 (good.yaml's 4 classes become 3).
  const auto& c4 = p.runs.back();
  EXPECT_NE(c4.name.find("knetc4"), std::string::npos);
  EXPECT_EQ(load_config(p.base, c4.overrides).data.params.get_int("num_classes"), 3);
  write_file_atomic(f, "base: " + sweep_file("../configs/good.yaml") +
                           "\ngrid: {rule.type: [sgdm]}\nexclude:\n  - {model.type: knet}\n");
  EXPECT_THROW(load_sweep(f.string()), ConfigError);  // not a grid key
  write_file_atomic(f, "base: " + sweep_file("../configs/good.yaml") +
                           "\ngrid: {rule.type: [sgdm]}\nexclude:\n  - {rule.type: sgdm}\n");
  EXPECT_THROW(load_sweep(f.string()), ConfigError);  // nothing left
  fs::remove(f);
}

TEST(Sweep, BadSweepFilesAndShards) {
  EXPECT_THROW(load_sweep(sweep_file("bad_grid.yaml")), ConfigError);
  EXPECT_THROW(load_sweep(sweep_file("missing.yaml")), ConfigError);
  const fs::path f = fs::temp_directory_path() / fmt::format("lrid_sweep_bad_{}.yaml", static_cast<long>(getpid()));
  write_file_atomic(f, "base: " + sweep_file("../configs/good.yaml") + "\ngrids: {rule.type: [sgdm]}\n");
  EXPECT_THROW(load_sweep(f.string()), ConfigError);  // unknown key
  write_file_atomic(f, "base: " + sweep_file("../configs/good.yaml") + "\ngrid: {rule.type: sgdm}\n");
  EXPECT_THROW(load_sweep(f.string()), ConfigError);  // not a list
  fs::remove(f);
  EXPECT_EQ(parse_shard("1/3"), (std::pair<int64_t, int64_t>{1, 3}));
  EXPECT_THROW(parse_shard("3/3"), ConfigError);
  EXPECT_THROW(parse_shard("a/b"), ConfigError);
  setenv("SLURM_ARRAY_TASK_ID", "2", 1);
  setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
  EXPECT_EQ(parse_shard(""), (std::pair<int64_t, int64_t>{2, 4}));
  unsetenv("SLURM_ARRAY_TASK_ID");
  unsetenv("SLURM_ARRAY_TASK_COUNT");
  EXPECT_EQ(parse_shard(""), (std::pair<int64_t, int64_t>{0, 1}));
}

// Found by tests/fuzz/sweep_fuzz.cpp (tests/fuzz/corpus/sweep/crash-*): `set:`
// on a base config that is a YAML scalar, and a grid key that is a list, threw
// yaml-cpp exceptions past load_sweep; now each is one ConfigError naming a file.
TEST(Sweep, NonMapBaseAndNonScalarKeysAreConfigErrors) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("lrid_sweep_kinds_{}", static_cast<long>(getpid()));
  fs::create_directories(dir);
  write_file_atomic(dir / "scalar.yaml", "da16\n");
  write_file_atomic(dir / "sweep.yaml",
                    "base: scalar.yaml\ngrid: {rule.type: [sgdm]}\nset: {run.parameters.threads: 1}\n");
  test::expect_error<ConfigError>([&] { load_sweep((dir / "sweep.yaml").string()); },
                                  "the configuration is not a YAML map");
  write_file_atomic(dir / "keys.yaml", "base: " + sweep_file("../configs/good.yaml") + "\ngrid: {[a, b]: [1]}\n");
  test::expect_error<ConfigError>([&] { load_sweep((dir / "keys.yaml").string()); },
                                  (dir / "keys.yaml").string() + ":");
  // A base name too long for the file system: fs::exists threw filesystem_error.
  write_file_atomic(dir / "long.yaml", "base: " + std::string(5000, 'b') + "\n");
  test::expect_error<ConfigError>([&] { load_sweep((dir / "long.yaml").string()); }, "does not exist");
  fs::remove_all(dir);
}

TEST(Sweep, ShardsPartitionThePlanInOrder) {
  SweepPlan p = load_sweep(sweep_file("small.yaml"));
  std::vector<std::string> names;
  for (int64_t i = 0; i < 3; ++i)
    for (const auto& r : shard_runs(p, i, 3)) names.push_back(r.name);
  ASSERT_EQ(names.size(), p.runs.size());
  // Shard 0 holds runs 0 and 3, shard 1 run 1, shard 2 run 2.
  EXPECT_EQ(names[0], p.runs[0].name);
  EXPECT_EQ(names[1], p.runs[3].name);
  EXPECT_EQ(names[2], p.runs[1].name);
  EXPECT_EQ(names[3], p.runs[2].name);
}

}  // namespace
}  // namespace lrid

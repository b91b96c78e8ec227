// Run directories (training/run_directory.h): a new directory gets its
// checkpoints folder and the resolved config.yaml; adopting one that holds the
// same run keeps its drawn seeds and sees whether it finished; another
// configuration is a ConfigError naming the first differing line; an
// unreadable config.yaml is an IoError naming it.
#include "training/run_directory.h"

#include <gtest/gtest.h>

#include "core/errors.h"
#include "core/files.h"
#include "core/run_status.h"
#include "core/yaml_text.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

Config fixture_config(const std::vector<std::string>& overrides = {}) {
  return load_config(std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/good.yaml", overrides);
}

TEST(RunDirectory, NewDirectoryGetsCheckpointsAndTheResolvedConfig) {
  test::TempDir dir;
  const fs::path run = dir.path() / "runs" / "a";
  Config c = fixture_config();
  const RunDirectoryState state = adopt_run_directory(c, run);
  EXPECT_FALSE(state.existing);
  EXPECT_FALSE(state.finished);
  EXPECT_FALSE(fs::exists(run));  // adopting creates nothing
  open_run_directory(c, run, state);
  EXPECT_TRUE(fs::is_directory(run / "checkpoints"));
  const std::string text = read_file(run / "config.yaml");
  EXPECT_EQ(text, yaml_block(c.to_yaml()) + "\n");
  EXPECT_NE(text.find("    weight_decay: 1e-05\n"), std::string::npos) << text;  // defaults written out
  // Opening an existing run leaves its config.yaml alone.
  write_file_atomic(run / "config.yaml", "# kept\n");
  open_run_directory(c, run, RunDirectoryState{true, false});
  EXPECT_EQ(read_file(run / "config.yaml"), "# kept\n");
}

TEST(RunDirectory, SameRunIsAdoptedAndItsStatusRead) {
  test::TempDir dir;
  Config c = fixture_config();
  open_run_directory(c, dir.path(), adopt_run_directory(c, dir.path()));
  Config again = fixture_config();
  RunDirectoryState s = adopt_run_directory(again, dir.path());
  EXPECT_TRUE(s.existing);
  EXPECT_FALSE(s.finished);
  RunStatus st;
  st.status = "running";
  write_status(dir.path(), st);
  EXPECT_FALSE(adopt_run_directory(again, dir.path()).finished);
  st.status = "finished";
  write_status(dir.path(), st);
  s = adopt_run_directory(again, dir.path());
  EXPECT_TRUE(s.existing);
  EXPECT_TRUE(s.finished);
}

TEST(RunDirectory, DrawnSeedsAreAdoptedFromTheStoredRun) {
  test::TempDir dir;
  Config first = fixture_config({"run.parameters.model_seed=-1", "run.parameters.data_seed=-1"});
  ASSERT_EQ(first.drawn_seeds.size(), 2u);
  open_run_directory(first, dir.path(), adopt_run_directory(first, dir.path()));
  Config second = fixture_config({"run.parameters.model_seed=-1", "run.parameters.data_seed=-1"});
  ASSERT_NE(second.run.params.get_int("model_seed"), first.run.params.get_int("model_seed"));
  EXPECT_TRUE(adopt_run_directory(second, dir.path()).existing);  // no ConfigError: the same run
  EXPECT_EQ(second.run.params.get_int("model_seed"), first.run.params.get_int("model_seed"));
  EXPECT_EQ(second.run.params.get_int("data_seed"), first.run.params.get_int("data_seed"));
  // A seed given explicitly is not replaced: it is a different run.
  Config explicit_seed = fixture_config({"run.parameters.model_seed=5", "run.parameters.data_seed=-1"});
  test::expect_error<ConfigError>([&] { adopt_run_directory(explicit_seed, dir.path()); }, "model_seed");
}

TEST(RunDirectory, AnotherConfigurationNamesTheFirstDifferingLine) {
  test::TempDir dir;
  Config c = fixture_config();
  open_run_directory(c, dir.path(), adopt_run_directory(c, dir.path()));
  Config other = fixture_config({"optimizer.parameters.lr=0.2", "run.parameters.batch_size=32"});
  for (const std::string& needle : std::vector<std::string>{
           dir.str() + ": the run directory holds a run with a different configuration",
           "(stored '    lr: 0.1' vs new '    lr: 0.2')", "choose another --out or remove it"})
    test::expect_error<ConfigError>([&] { adopt_run_directory(other, dir.path()); }, needle);
  // A stored file with a line more than the new configuration.
  write_file_atomic(dir.path() / "config.yaml", yaml_block(c.to_yaml()) + "\nextra: 1\n");
  Config same = fixture_config();
  test::expect_error<ConfigError>([&] { adopt_run_directory(same, dir.path()); },
                                  "stored 'extra: 1' vs new '<end>'");
}

TEST(RunDirectory, UnreadableConfigIsAnIoErrorNamingIt) {
  test::TempDir dir;
  write_file_atomic(dir.path() / "config.yaml", "data: [unclosed\n");
  Config c = fixture_config();
  test::expect_error<IoError>([&] { adopt_run_directory(c, dir.path()); },
                              (dir.path() / "config.yaml").string() + ": unreadable");
}

}  // namespace
}  // namespace lrid

// `lrid train`, `lrid info` and `lrid layers` (app/cli_train.cpp): errors as
// one line with the right exit code and no output written for bad input; a
// finished run is not redone.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;
using test::run_lrid;

std::string config_fixture(const std::string& name) {
  return std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/" + name;
}

// `lrid train FIXTURE ARGS --out DIR`.
test::CliResult train_fixture(const std::string& fixture, const std::string& args, const fs::path& out) {
  return run_lrid("train " + config_fixture(fixture) + " " + args + " --out " + out.string());
}

TEST(CliTrain, BadConfigIsOneLineExitTwoAndWritesNothing) {
  test::TempDir t;
  const auto r = train_fixture("unknown_key.yaml", "", t.path() / "run");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_NE(r.out.find("lrid: error: "), std::string::npos);
  EXPECT_NE(r.out.find("unknown_key.yaml:11"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(t.path() / "run"));
}

TEST(CliTrain, BadOverrideAndMissingDataExitCodes) {
  test::TempDir t;
  const auto bad_value = train_fixture("good.yaml", "run.parameters.batch_size=abc", t.path() / "run");
  EXPECT_EQ(bad_value.code, 2) << bad_value.out;
  EXPECT_NE(bad_value.out.find("command-line override 'run.parameters.batch_size'"), std::string::npos) << bad_value.out;
  const auto no_data =
      train_fixture("good.yaml", "data.type=fashion_mnist \"data.parameters={root: /nonexistent/fm}\"", t.path() / "run");
  EXPECT_EQ(no_data.code, 3) << no_data.out;
  EXPECT_NE(no_data.out.find("/nonexistent/fm"), std::string::npos) << no_data.out;
  EXPECT_FALSE(fs::exists(t.path() / "run"));
}

TEST(CliTrain, TrainsThenReportsAlreadyFinished) {
  test::TempDir t;
  // The first call trains; the second finds the run finished and leaves it.
  for (const char* expected : {"test accuracy", "already finished"}) {
    const auto r = train_fixture("good.yaml", "--quiet", t.path() / "run");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find(expected), std::string::npos) << r.out;
    EXPECT_TRUE(fs::exists(t.path() / "run" / "status.json"));
  }
}

// Two `lrid train` on one run directory: the second refuses in one line naming
// the first's PID (exit 4) and writes nothing; the first finishes untouched.
TEST(CliTrain, SecondProcessOnTheSameRunDirectoryRefuses) {
  test::TempDir t;
  const auto run = t.path() / "run";
  const std::string cmd = fmt::format("exec {} train {} schedule.parameters.epochs=150 -q --out {} > {}/first.log 2>&1",
                                      LRID_BINARY, config_fixture("good.yaml"), run.string(), t.str());
  const pid_t first = fork();
  if (first == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(run / "metrics.csv") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto second = train_fixture("good.yaml", "schedule.parameters.epochs=150 -q", run);
  int status = 0;
  waitpid(first, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(second.code, 4) << second.out;
  EXPECT_EQ(std::count(second.out.begin(), second.out.end(), '\n'), 1) << second.out;
  EXPECT_NE(second.out.find("in use by process " + std::to_string(first) + "@"), std::string::npos) << second.out;
  std::ifstream status_file(run / "status.json");
  std::string text((std::istreambuf_iterator<char>(status_file)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"finished\""), std::string::npos) << text;
}

TEST(CliTrain, PrintConfigWritesTheResolvedConfigurationOnly) {
  test::TempDir t;
  const auto r = run_lrid("train " + config_fixture("good.yaml") + " optimizer.parameters.lr=0.25 --print-config --out " +
                          (t.path() / "run").string());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("lr: 0.25"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("weight_decay: 1e-05"), std::string::npos) << r.out;  // KNet's default written out
  EXPECT_FALSE(fs::exists(t.path() / "run"));
}

TEST(CliInfo, ListsEverySectionAndTheRuleAliasesTarget) {
  auto r = run_lrid("info");
  EXPECT_EQ(r.code, 0);
  for (const char* s : {"data:", "model:", "task:", "rule:", "optimizer:", "schedule:", "run:", "observables:"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
  r = run_lrid("info rule");
  EXPECT_NE(r.out.find("feedback_optimizer"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("optimizer:"), std::string::npos) << "only the rule section";
}

TEST(CliLayers, ListsOriginalNames) {
  const auto r = run_lrid("layers resnet18 --input-size 32");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("block_group1_0/conv0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dense"), std::string::npos);
  EXPECT_EQ(run_lrid("layers nonet").code, 2);
}

}  // namespace
}  // namespace lrid

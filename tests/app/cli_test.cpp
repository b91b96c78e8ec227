// The `lrid` executable: help, errors as one line with the right exit code,
// and no output written for bad input.
#include "app/cli.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "test_paths.h"
#include "test_util.h"

namespace {

namespace fs = std::filesystem;

using Result = lrid::test::CliResult;
Result run(const std::string& args) { return lrid::test::run_lrid(args); }

std::string fixture(const std::string& name) {
  return std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/" + name;
}

TEST(Cli, HelpListsSubcommands) {
  Result r = run("--help");
  EXPECT_EQ(r.code, 0);
  for (const char* s : {"train", "info", "layers"}) EXPECT_NE(r.out.find(s), std::string::npos) << s;
  EXPECT_EQ(run("train --help").code, 0);
}

TEST(Cli, BadConfigIsOneLineExitTwoAndWritesNothing) {
  fs::path out = fs::temp_directory_path() / "lrid_cli_bad_config";
  fs::remove_all(out);
  Result r = run("train " + fixture("unknown_key.yaml") + " --out " + out.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_NE(r.out.find("lrid: error: "), std::string::npos);
  EXPECT_NE(r.out.find("unknown_key.yaml:11"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
}

TEST(Cli, BadOverrideAndMissingDataExitCodes) {
  fs::path out = fs::temp_directory_path() / "lrid_cli_bad_data";
  fs::remove_all(out);
  Result r = run("train " + fixture("good.yaml") + " run.parameters.batch_size=abc --out " + out.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("command-line override 'run.parameters.batch_size'"), std::string::npos) << r.out;
  r = run("train " + fixture("good.yaml") + " data.type=fashion_mnist \"data.parameters={root: /nonexistent/fm}\" --out " +
          out.string());
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_NE(r.out.find("/nonexistent/fm"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
}

TEST(Cli, UnknownSubcommandAndMissingArgumentFail) {
  EXPECT_NE(run("frobnicate").code, 0);
  EXPECT_NE(run("train").code, 0);
}

TEST(Cli, TrainsAndReportsFinished) {
  fs::path out = fs::temp_directory_path() / "lrid_cli_train";
  fs::remove_all(out);
  Result r = run("train " + fixture("good.yaml") + " --quiet --out " + out.string());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("test accuracy"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(out / "status.json"));
  r = run("train " + fixture("good.yaml") + " --quiet --out " + out.string());
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("already finished"), std::string::npos) << r.out;
  fs::remove_all(out);
}

TEST(Cli, LayersListsOriginalNames) {
  Result r = run("layers resnet18 --input-size 32");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("block_group1_0/conv0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dense"), std::string::npos);
}

}  // namespace

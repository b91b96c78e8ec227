// The `lrid` executable as a whole (app/cli.cpp): help and version, parse
// errors, and the helpers every subcommand shares.
#include "app/cli.h"

#include <gtest/gtest.h>

#include <thread>

#include "test_util.h"

namespace lrid {
namespace {

using test::run_lrid;

TEST(Cli, HelpListsEverySubcommand) {
  const auto r = run_lrid("--help");
  EXPECT_EQ(r.code, 0);
  for (const char* s : {"train", "info", "layers", "stats", "classify", "identify", "sweep", "dataset", "experiment",
                        "report", "demo"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
  EXPECT_EQ(run_lrid("train --help").code, 0);
}

TEST(Cli, VersionNamesTheCommit) {
  const auto r = run_lrid("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("0.1.0 ("), std::string::npos) << r.out;
}

TEST(Cli, UnknownSubcommandAndMissingArgumentFail) {
  EXPECT_NE(run_lrid("frobnicate").code, 0);
  EXPECT_NE(run_lrid("train").code, 0);
  EXPECT_NE(run_lrid("").code, 0);  // a subcommand is required
}

TEST(Cli, OnRunDefersTheActionUntilParsingSucceeded) {
  CLI::App app{"t"};
  Action action;
  int ran = 0;
  std::string out;
  bool quiet = false;
  auto* cmd = app.add_subcommand("go", "");
  add_out_and_quiet(*cmd, out, quiet, "where");
  on_run(cmd, action, [&] { return ++ran + 40; });
  const char* argv[] = {"t", "go", "-o", "dir", "-q"};
  app.parse(5, const_cast<char**>(argv));
  EXPECT_EQ(ran, 0);  // parsed, not run
  ASSERT_TRUE(action);
  EXPECT_EQ(action(), 41);
  EXPECT_EQ(out, "dir");
  EXPECT_TRUE(quiet);
}

struct EchoCommand {
  std::string word;
  int64_t times = 1;
};

void declare_echo(CLI::App& cmd, EchoCommand& c) {
  cmd.description("echo a word");
  cmd.add_option("word", c.word)->required();
  cmd.add_option("--times", c.times);
}

int run_echo(const EchoCommand& c) { return static_cast<int>(c.word.size() * static_cast<std::size_t>(c.times)); }

TEST(Cli, AddCommandFillsItsCommandAndRunsItWhenChosen) {
  CLI::App app{"t"};
  Action action;
  add_command<EchoCommand>(app, action, "echo", declare_echo, run_echo);
  const char* argv[] = {"t", "echo", "abc", "--times", "3"};
  app.parse(5, const_cast<char**>(argv));
  ASSERT_TRUE(action);
  EXPECT_EQ(action(), 9);
  EXPECT_EQ(app.get_subcommand("echo")->get_description(), "echo a word");
}

TEST(Cli, JobsDefaultToTheHardwareThreads) {
  EXPECT_EQ(jobs_or_cores(3), 3);
  EXPECT_EQ(jobs_or_cores(0), std::max<int64_t>(1, std::thread::hardware_concurrency()));
  EXPECT_NE(self_executable().find("lrid_tests"), std::string::npos);
}

}  // namespace
}  // namespace lrid

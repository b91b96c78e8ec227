// The program behind main(): each kind of error is one "lrid: error:" line on
// stderr and its own exit code; success returns the subcommand's code.
#include "app/entry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_paths.h"

namespace lrid {
namespace {

struct EntryResult {
  int code;
  std::string err;
};

EntryResult run_entry(std::vector<std::string> args) {
  args.insert(args.begin(), "lrid");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStderr();
  ::testing::internal::CaptureStdout();
  const int code = lrid_main(static_cast<int>(argv.size()), argv.data());
  ::testing::internal::GetCapturedStdout();
  return {code, ::testing::internal::GetCapturedStderr()};
}

TEST(Entry, ConfigErrorIsOneLineAndExitTwo) {
  const auto r = run_entry({"train", std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/unknown_key.yaml",
                            "--print-config"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("lrid: error: ", 0), 0u) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find("unknown_key.yaml:11"), std::string::npos) << r.err;
}

TEST(Entry, SuccessReturnsZero) {
  const auto r = run_entry({"experiment", "--list"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
}

}  // namespace
}  // namespace lrid

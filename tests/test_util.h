// Helpers shared by the test files: running the `lrid` executable and a
// per-test temporary directory.
#pragma once
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "test_paths.h"

namespace lrid::test {

struct CliResult {
  int code;         // exit status (-1: killed by a signal)
  std::string out;  // stdout and stderr together
};

// Runs `lrid ARGS` through the shell and captures its output.
inline CliResult run_lrid(const std::string& args) {
  std::string cmd = std::string(LRID_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// A fresh directory named after the running test, the process and an optional
// tag (for several in one test), removed with its contents at scope exit.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "") {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("lrid_{}_{}_{}{}", info->test_suite_name(), info->name(), static_cast<long>(getpid()),
                        tag.empty() ? "" : "_" + tag);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// The message of the E that fn() throws, or "" when it throws nothing (for
// tests that compare whole messages).
template <class E, class Fn>
std::string error_message(Fn fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

// Expects fn() to throw an E whose message contains `needle` (a file, key or value it must name).
template <class E, class Fn>
void expect_error(Fn fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "expected an exception naming " << needle;
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace lrid::test

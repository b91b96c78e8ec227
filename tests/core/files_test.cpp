// Files (core/files.h): write_file_atomic replaces a file by renaming a fully
// written temporary (a reader of the old file keeps the old bytes; no .tmp is
// left), a failed write throws IoError naming the path and leaves the previous
// file as it was, read_file and ensure_directory name the path they fail on.
#include "core/files.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

using test::expect_error;

std::vector<std::string> entries_of(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(Files, WriteFileAtomicReplacesByRenameAndLeavesNoTemporary) {
  test::TempDir dir;
  const fs::path p = dir.path() / "status.json";
  write_file_atomic(p, "first version\n");
  EXPECT_EQ(read_file(p), "first version\n");
  struct stat before {};
  ASSERT_EQ(::stat(p.c_str(), &before), 0);
  EXPECT_EQ(before.st_mode & 0777, 0644u);
  std::ifstream old_reader(p);  // opened on the old file
  const std::string big(1 << 20, 'x');
  write_file_atomic(p, big);
  EXPECT_EQ(read_file(p), big);
  struct stat after {};
  ASSERT_EQ(::stat(p.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);  // a new file renamed into place, not rewritten in place
  std::stringstream seen;
  seen << old_reader.rdbuf();
  EXPECT_EQ(seen.str(), "first version\n");  // the old reader never sees a mix
  write_file_atomic(p, "");
  EXPECT_EQ(read_file(p), "");
  EXPECT_EQ(entries_of(dir.path()), std::vector<std::string>{"status.json"});
}

TEST(Files, WriteIntoAMissingFolderThrowsIoErrorNamingThePath) {
  test::TempDir dir;
  const fs::path p = dir.path() / "no" / "such" / "folder" / "out.csv";
  expect_error<IoError>([&] { write_file_atomic(p, "x"); }, p.string());
  EXPECT_FALSE(fs::exists(dir.path() / "no"));
  // A folder that is a regular file.
  write_file_atomic(dir.path() / "plain", "data");
  expect_error<IoError>([&] { write_file_atomic(dir.path() / "plain" / "out.csv", "x"); }, "plain/out.csv");
  EXPECT_EQ(read_file(dir.path() / "plain"), "data");
}

// Switches the effective user away from root for its lifetime (root ignores
// file permissions); `active` is false when that is not possible.
struct UnprivilegedScope {
  const bool was_root = geteuid() == 0;
  const bool switched = was_root && ::seteuid(65534) == 0;
  bool active() const { return !was_root || switched; }
  ~UnprivilegedScope() {
    if (switched) {
      EXPECT_EQ(::seteuid(0), 0);
    }
  }
};

TEST(Files, WriteIntoAReadOnlyFolderKeepsThePreviousFile) {
  test::TempDir dir;
  const fs::path ro = dir.path() / "ro", p = ro / "config.yaml";
  ensure_directory(ro);
  write_file_atomic(p, "previous: 1\n");
  ASSERT_EQ(::chmod(ro.c_str(), 0555), 0);
  {
    UnprivilegedScope user;
    if (!user.active()) {
      ::chmod(ro.c_str(), 0755);
      GTEST_SKIP() << "running as root without the right to drop privileges";
    }
    expect_error<IoError>([&] { write_file_atomic(p, "new: 2\n"); }, p.string());
  }
  ASSERT_EQ(::chmod(ro.c_str(), 0755), 0);
  EXPECT_EQ(read_file(p), "previous: 1\n");
  EXPECT_EQ(entries_of(ro), std::vector<std::string>{"config.yaml"});
}

TEST(Files, AWriteThatFailsMidwayKeepsThePreviousFileAndRemovesTheTemporary) {
  test::TempDir dir;
  const fs::path p = dir.path() / "metrics.csv";
  write_file_atomic(p, "step,loss\n0,1.5\n");
  // A file-size limit makes write() fail with EFBIG part way (for root too).
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old_limit;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::string error = test::error_message<IoError>([&] { write_file_atomic(p, std::string(100000, 'y')); });
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_NE(error.find(p.string()), std::string::npos) << error;
  EXPECT_NE(error.find("write failed"), std::string::npos) << error;
  EXPECT_EQ(read_file(p), "step,loss\n0,1.5\n");
  EXPECT_EQ(entries_of(dir.path()), std::vector<std::string>{"metrics.csv"});
}

TEST(Files, RenameOntoAFolderFailsWithoutATemporaryLeft) {
  test::TempDir dir;
  const fs::path target = dir.path() / "taken";
  ensure_directory(target / "inner");
  expect_error<IoError>([&] { write_file_atomic(target, "x"); }, target.string());
  EXPECT_TRUE(fs::is_directory(target / "inner"));
  EXPECT_EQ(entries_of(dir.path()), std::vector<std::string>{"taken"});
}

TEST(Files, ReadFileAndEnsureDirectoryNameThePathTheyFailOn) {
  test::TempDir dir;
  const fs::path missing = dir.path() / "missing.json";
  expect_error<IoError>([&] { read_file(missing); }, missing.string());
  // Binary content comes back byte for byte.
  const std::string bytes("a\0b\r\n\xff", 6);
  write_file_atomic(dir.path() / "bin", bytes);
  EXPECT_EQ(read_file(dir.path() / "bin"), bytes);
  // ensure_directory creates parents and accepts an existing folder.
  const fs::path deep = dir.path() / "a" / "b" / "c";
  ensure_directory(deep);
  EXPECT_TRUE(fs::is_directory(deep));
  ensure_directory(deep);
  EXPECT_TRUE(fs::is_directory(deep));
  // ... but not a path through a regular file.
  const fs::path blocked = dir.path() / "bin" / "sub";
  expect_error<IoError>([&] { ensure_directory(blocked); }, blocked.string());
}

}  // namespace
}  // namespace lrid

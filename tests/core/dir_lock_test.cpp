// Folder locks (core/dir_lock.cpp): one holder at a time, the holder named in
// the refusal, and a lock file left by a dead process taken over.
#include "core/dir_lock.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "core/errors.h"
#include "core/files.h"
#include "test_util.h"

namespace lrid {
namespace {

TEST(DirLock, SecondHolderIsRefusedUntilTheFirstLetsGo) {
  test::TempDir t;
  const auto dir = t.path() / "run";
  {
    DirLock first(dir, "run directory");
    EXPECT_EQ(read_file(dir / DirLock::kFileName).rfind(std::to_string(getpid()) + "@", 0), 0u);
    test::expect_error<IoError>([&] { DirLock second(dir, "run directory"); },
                                "in use by process " + std::to_string(getpid()) + "@");
    DirLock other_name(dir, "sweep folder's shard 1/2", ".other.lock");  // another name, another lock
  }
  EXPECT_NO_THROW(DirLock again(dir, "run directory"));
}

TEST(DirLock, AnotherProcessHoldingItIsNamedAndItsDeathFreesTheLock) {
  test::TempDir t;
  const auto dir = t.path() / "run";
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  if (child == 0) {
    DirLock held(dir, "run directory");
    const char ok = 1;
    if (write(ready[1], &ok, 1) != 1) _exit(1);
    pause();  // until killed, lock held
    _exit(0);
  }
  char ok = 0;
  ASSERT_EQ(read(ready[0], &ok, 1), 1);
  test::expect_error<IoError>([&] { DirLock mine(dir, "run directory"); },
                              "in use by process " + std::to_string(child) + "@");
  kill(child, SIGKILL);  // no chance to clean up: the lock file stays behind, stale
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(std::filesystem::exists(dir / DirLock::kFileName));
  DirLock mine(dir, "run directory");
  EXPECT_EQ(read_file(dir / DirLock::kFileName).rfind(std::to_string(getpid()) + "@", 0), 0u);
}

}  // namespace
}  // namespace lrid

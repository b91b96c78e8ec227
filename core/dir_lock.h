// One writer per folder: `lrid train` locks its run directory and `lrid sweep`
// its sweep directory, so that a second process pointed at the same folder
// refuses in one line instead of interleaving writes with the first.
//
// The lock is flock(2) on a file in DIR (.lrid.lock by default), which holds the owner's PID and host
// for the message. The kernel releases a flock when its owner exits, however
// it exits, so a lock file left behind by a killed process is stale and is
// simply taken over; the descriptor is close-on-exec, so child processes
// (a sweep's runs) do not inherit the lock. Local file systems and NFSv4 honour
// flock; on file systems that do not, the lock protects nothing.
#pragma once
#include <filesystem>
#include <string>

namespace lrid {

class DirLock {
 public:
  // Creates `dir` if needed and locks it (through the lock file `name`: several
  // names lock disjoint parts of one folder, as a sweep's shards do). IoError
  // naming the folder and the owner's PID and host when another process holds
  // it. `what`: "run", "sweep shard 0/4", ...
  DirLock(const std::filesystem::path& dir, const std::string& what, const std::string& name = kFileName);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

  static constexpr const char* kFileName = ".lrid.lock";

 private:
  int fd_ = -1;
};

}  // namespace lrid

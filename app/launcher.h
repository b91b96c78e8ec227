// `lrid train --nproc N`: a torchrun-style launcher for one machine. It starts
// N copies of the command as ranks 0..N-1 (RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and a free MASTER_PORT in their
// environment) and fails them all when one fails: the others get a grace
// period to notice the lost rank and stop by themselves, then SIGTERM, then
// SIGKILL.
#pragma once
#include <atomic>
#include <string>
#include <vector>

namespace lrid {

struct LaunchOptions {
  int nproc = 1;
  double grace_s = 20;  // after a rank failed: how long the others may take to stop by themselves
  bool quiet = false;   // no launcher message on success
  // Raised by SIGTERM: passed on to every rank, which checkpoints and exits (stop_signal.h).
  const std::atomic<bool>* stop_requested = nullptr;
};

// Runs `args` (argv[0] the program) as `nproc` ranks; returns the exit code:
// 0 when every rank exited 0, else the first failed rank's code (128 + signal
// when it was killed). Prints one line naming the first failed rank.
int launch_ranks(const std::vector<std::string>& args, const LaunchOptions& options);

}  // namespace lrid

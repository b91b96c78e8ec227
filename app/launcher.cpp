// Ranks as child processes on this machine. See launcher.h.
#include "app/launcher.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <thread>

#include "core/errors.h"
#include "training/distributed.h"

namespace lrid {
namespace {

using Clock = std::chrono::steady_clock;

pid_t start_rank(const std::vector<std::string>& args, int rank, int world, int port) {
  const pid_t pid = fork();
  if (pid < 0) throw IoError(fmt::format("cannot fork rank {}", rank));
  if (pid == 0) {
    setenv("RANK", std::to_string(rank).c_str(), 1);
    setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
    setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
    setenv("LOCAL_WORLD_SIZE", std::to_string(world).c_str(), 1);
    setenv("MASTER_ADDR", "127.0.0.1", 1);
    setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(copy[0].c_str(), argv.data());
    std::fprintf(stderr, "lrid: cannot start rank %d: %s: %s\n", rank, copy[0].c_str(), std::strerror(errno));
    _exit(127);
  }
  return pid;
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return fmt::format("was killed by signal {} ({})", sig, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
  }
  return fmt::format("exited with code {}", WEXITSTATUS(status));
}

int exit_code_of(int status) { return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status); }

// Reaps children until none is left or the deadline passes.
void reap_until(std::map<pid_t, int>& running, Clock::time_point deadline) {
  while (!running.empty() && Clock::now() < deadline) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      running.erase(pid);
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

int launch_ranks(const std::vector<std::string>& args, const LaunchOptions& o) {
  if (o.nproc < 1) throw ConfigError(fmt::format("--nproc {}: must be at least 1", o.nproc));
  if (args.empty()) throw ConfigError("launch: no command");
  const int port = free_local_port();
  std::map<pid_t, int> running;  // pid -> rank
  for (int r = 0; r < o.nproc; ++r) running[start_rank(args, r, o.nproc, port)] = r;
  int code = 0;
  bool forwarded = false;
  while (!running.empty()) {
    if (o.stop_requested && o.stop_requested->load() && !forwarded) {
      for (const auto& [p, r] : running) kill(p, SIGTERM);  // they stop at a step boundary, together
      forwarded = true;
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const int rank = it->second;
    running.erase(it);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
    code = exit_code_of(status);
    auto say = [&] {
      std::fprintf(stderr, "lrid: rank %d (pid %d) %s; stopping the other %zu rank(s)\n", rank, pid,
                   describe_exit(status).c_str(), running.size());
    };
    // A rank that exited with an error said why; a killed one could not.
    if (WIFSIGNALED(status)) say();
    // The others notice the lost rank at their next collective; give them time to say so, then stop them.
    reap_until(running, Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.grace_s * 1000)));
    if (!running.empty() && !WIFSIGNALED(status)) say();
    for (const auto& [p, r] : running) kill(p, SIGTERM);
    reap_until(running, Clock::now() + std::chrono::seconds(5));
    for (const auto& [p, r] : running) kill(p, SIGKILL);
    reap_until(running, Clock::now() + std::chrono::seconds(5));
    break;
  }
  return code;
}

}  // namespace lrid

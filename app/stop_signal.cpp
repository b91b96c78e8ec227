// The SIGTERM flag. See stop_signal.h.
#include "app/stop_signal.h"

#include <signal.h>

namespace lrid {
namespace {

std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the handler may only touch a lock-free atomic");

void on_stop_signal(int) { stop_requested.store(true); }

}  // namespace

const std::atomic<bool>& install_stop_signal() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // blocking calls (waitpid, reads) resume; the flag is polled
  sigaction(SIGTERM, &sa, nullptr);
  return stop_requested;
}

}  // namespace lrid

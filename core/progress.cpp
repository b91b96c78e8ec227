// Progress reporting. See progress.h.
#include "core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace lrid {

std::string format_duration(double s) {
  if (!(s >= 0) || s > 1e8) return "--:--";
  auto t = static_cast<int64_t>(s + 0.5);
  if (t >= 3600) return fmt::format("{}:{:02d}:{:02d}", t / 3600, (t / 60) % 60, t % 60);
  return fmt::format("{:02d}:{:02d}", t / 60, t % 60);
}

Progress::Progress(std::string label, int64_t total, bool enabled, double min_interval_s)
    : label_(std::move(label)), total_(std::max<int64_t>(total, 1)), enabled_(enabled),
      tty_(isatty(STDERR_FILENO) != 0), interval_(min_interval_s),
      start_(std::chrono::steady_clock::now()), last_print_(start_) {}

void Progress::update(int64_t done, const std::string& extra) {
  if (!enabled_) return;
  last_done_ = done;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_print_).count();
  double interval = tty_ ? 0.2 : interval_;
  if (printed_ && since < interval && done < total_) return;
  last_print_ = now;
  printed_ = true;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done - start_done_) / elapsed : 0.0;
  double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : -1.0;
  double frac = static_cast<double>(done) / static_cast<double>(total_);
  if (tty_) {
    const int width = 30;
    int filled = static_cast<int>(frac * width);
    std::string bar(filled, '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%s [%s] %3.0f%% %lld/%lld %.1f/s ETA %s %s\033[K", label_.c_str(),
                 bar.c_str(), 100 * frac, static_cast<long long>(done),
                 static_cast<long long>(total_), rate, format_duration(eta).c_str(), extra.c_str());
  } else {
    std::fprintf(stderr, "%s: %lld/%lld (%.0f%%) %.1f/s elapsed %s ETA %s %s\n", label_.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_), 100 * frac, rate,
                 format_duration(elapsed).c_str(), format_duration(eta).c_str(), extra.c_str());
  }
  std::fflush(stderr);
}

void Progress::finish(const std::string& extra) {
  if (!enabled_) return;
  printed_ = false;  // force a final line
  update(last_done_, extra);
  if (tty_) std::fprintf(stderr, "\n");
}

}  // namespace lrid

// Progress of long work: a redrawn bar when stderr is a terminal, otherwise
// rate-limited log lines with the rate and an ETA.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace lrid {

class Progress {
 public:
  // total: units of work; min_interval_s: seconds between log lines (non-terminal).
  Progress(std::string label, int64_t total, bool enabled = true, double min_interval_s = 10.0);
  // done: units finished so far (absolute); start: units already done at resume.
  void update(int64_t done, const std::string& extra = "");
  void finish(const std::string& extra = "");
  void set_start(int64_t done) { start_done_ = done; last_done_ = done; }

 private:
  std::string label_;
  int64_t total_, start_done_ = 0, last_done_ = 0;
  bool enabled_, tty_;
  double interval_;
  std::chrono::steady_clock::time_point start_, last_print_;
  bool printed_ = false;
};

std::string format_duration(double seconds);

}  // namespace lrid

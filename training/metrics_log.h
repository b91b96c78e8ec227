// A CSV log that a run appends to as it trains (metrics.csv, alignment.csv),
// one row per line, the step in the first column. Opened for a resumed run, it
// keeps the rows up to the checkpoint's step and drops the rest (and a line
// torn by a crash), so a resumed run writes the rows an uninterrupted one would.
#pragma once
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace lrid {

class MetricsLog {
 public:
  // Writes `header` (and the kept rows, when resume_step >= 0) atomically, then appends.
  MetricsLog(const std::filesystem::path& path, const std::string& header, int64_t resume_step);
  // Appends one row (without its newline) and flushes it.
  void line(const std::string& text);

 private:
  std::filesystem::path path_;
  std::ofstream out_;
};

}  // namespace lrid

// Append-only CSV logs with resume. See metrics_log.h.
#include "training/metrics_log.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "core/errors.h"
#include "core/files.h"

namespace lrid {

MetricsLog::MetricsLog(const std::filesystem::path& path, const std::string& header, int64_t resume_step)
    : path_(path) {
  std::string kept = header + "\n";
  if (std::filesystem::exists(path) && resume_step >= 0) {
    std::istringstream in(read_file(path));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      const auto comma = line.find(',');
      if (comma == std::string::npos) continue;
      try {
        if (std::stoll(line.substr(0, comma)) <= resume_step) kept += line + "\n";
      } catch (const std::exception&) {
        // a torn last line after a crash: dropped
      }
    }
  }
  write_file_atomic(path, kept);
  out_.open(path, std::ios::app);
  if (!out_) throw IoError(fmt::format("{}: cannot append", path.string()));
}

void MetricsLog::line(const std::string& text) {
  errno = 0;
  out_ << text << '\n';
  out_.flush();
  // A full disk or an I/O error: one line naming the file (a torn last line is dropped on resume).
  if (!out_)
    throw IoError(fmt::format("{}: cannot append ({})", path_.string(), errno ? std::strerror(errno) : "write failed"));
}

}  // namespace lrid

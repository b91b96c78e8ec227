// Observable streams. See stream.h.
#include "observables/stream.h"

#include <fmt/format.h>

#include <sstream>
#include <stdexcept>
#include <vector>

#include "core/errors.h"
#include "core/files.h"

namespace lrid {

const char* ObservableStream::header() {
  return "run,condition,point,step,epoch,layer,position,observable,value";
}

ObservableStream::ObservableStream(std::filesystem::path path, int64_t keep_through_step)
    : path_(std::move(path)) {
  content_ = std::string(header()) + "\n";
  if (keep_through_step >= 0 && std::filesystem::exists(path_)) {
    std::istringstream in(read_file(path_));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      // the step is the fourth field
      std::size_t pos = 0;
      for (int i = 0; i < 3 && pos != std::string::npos; ++i) pos = line.find(',', pos + (i ? 1 : 0));
      if (pos == std::string::npos) continue;
      try {
        if (std::stoll(line.substr(pos + 1)) <= keep_through_step) content_ += line + "\n";
      } catch (const std::exception&) {
      }
    }
  }
  write_file_atomic(path_, content_);
}

void ObservableStream::append(const std::string& rows) {
  content_ += rows;
  write_file_atomic(path_, content_);
}

namespace {

// The 9 comma-separated fields of a row (the run name has its commas replaced, so none is quoted).
bool split_row(const std::string& line, std::vector<std::string>& f) {
  f.clear();
  std::size_t pos = 0;
  for (int i = 0; i < 8; ++i) {
    const auto c = line.find(',', pos);
    if (c == std::string::npos) return false;
    f.push_back(line.substr(pos, c - pos));
    pos = c + 1;
  }
  f.push_back(line.substr(pos));
  return true;
}

}  // namespace

StreamValues read_stream(const std::filesystem::path& path) {
  StreamValues s;
  std::istringstream in(read_file(path));
  std::string line;
  std::getline(in, line);
  if (line != ObservableStream::header())
    throw DataError(fmt::format("{}: not an observable stream (header '{}')", path.string(), line));
  std::vector<std::string> f;
  for (int64_t n = 2; std::getline(in, line); ++n) {
    if (!split_row(line, f)) throw DataError(fmt::format("{}:{}: malformed row", path.string(), n));
    double v;
    int64_t point;
    try {
      std::size_t used_value = 0, used_point = 0;
      v = std::stod(f[8], &used_value);  // also parses nan, inf, -inf
      point = std::stoll(f[2], &used_point);
      // Trailing text (e.g. a tenth field left in the value) is not a number.
      if (used_value != f[8].size() || used_point != f[2].size()) throw std::invalid_argument(f[8]);
    } catch (const std::exception&) {
      throw DataError(fmt::format("{}:{}: bad point '{}' or value '{}'", path.string(), n, f[2], f[8]));
    }
    s.value[f[5]][f[7]][point] = v;
  }
  return s;
}

}  // namespace lrid

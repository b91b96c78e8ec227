// Observable streams. See stream.h.
#include "observables/stream.h"

#include <fmt/format.h>

#include <sstream>
#include <stdexcept>
#include <vector>

#include "core/errors.h"
#include "core/files.h"
#include "core/warning.h"

namespace lrid {
namespace {

// The point (third field) of a row; -1 when the row is cut before its end.
int64_t point_of(const std::string& row) {
  const auto a = row.find(','), b = a == std::string::npos ? a : row.find(',', a + 1);
  const auto c = b == std::string::npos ? b : row.find(',', b + 1);
  if (c == std::string::npos) return -1;
  try {
    std::size_t used = 0;
    const int64_t p = std::stoll(row.substr(b + 1, c - b - 1), &used);
    return used == c - b - 1 ? p : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

// `text` without a torn last record. Streams are committed whole, so bytes after
// the last newline are a row cut short by an interrupted copy or a failing disk:
// they go with the rest of their record (the rows of their point, or of the last
// whole row's point when the cut row is too short to name one), and one warning
// names the file and the byte offset the dropped part began at.
std::string without_torn_record(const std::string& text, const std::filesystem::path& path) {
  const auto nl = text.rfind('\n');
  if (nl == std::string::npos || nl + 1 == text.size()) return text;  // no rows yet, or whole
  std::vector<std::size_t> starts;  // of the whole rows after the header
  for (auto at = text.find('\n'); at < nl; at = text.find('\n', at + 1)) starts.push_back(at + 1);
  auto row = [&](std::size_t i) {
    const std::size_t end = i + 1 < starts.size() ? starts[i + 1] - 1 : nl;
    return text.substr(starts[i], end - starts[i]);
  };
  std::size_t cut = nl + 1;  // where the dropped rows begin
  int64_t point = point_of(text.substr(cut));
  if (point < 0 && !starts.empty()) point = point_of(row(starts.size() - 1));
  for (std::size_t i = starts.size(); point >= 0 && i > 0 && point_of(row(i - 1)) == point; --i) cut = starts[i - 1];
  warn(fmt::format("{}: dropped a torn last record{} from byte {} on (an interrupted write or copy)", path.string(),
                   point >= 0 ? fmt::format(" (point {})", point) : "", cut));
  return text.substr(0, cut);
}

}  // namespace

const char* ObservableStream::header() {
  return "run,condition,point,step,epoch,layer,position,observable,value";
}

ObservableStream::ObservableStream(std::filesystem::path path, int64_t keep_through_step)
    : path_(std::move(path)) {
  content_ = std::string(header()) + "\n";
  if (keep_through_step >= 0 && std::filesystem::exists(path_)) {
    std::istringstream in(without_torn_record(read_file(path_), path_));
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
  std::istringstream in(without_torn_record(read_file(path), path));
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

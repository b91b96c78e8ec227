// Observable streams. See stream.h.
#include "observables/stream.h"

#include <sstream>

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

}  // namespace lrid

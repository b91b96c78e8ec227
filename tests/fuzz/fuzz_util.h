// Shared by the libFuzzer targets of tests/fuzz (one per file reader): a
// per-process scratch folder for readers that take a path, the split of one
// input into several files, and the one policy on exceptions. A reader may
// reject any input with lrid's own errors (core/errors.h) or LibTorch's
// c10::Error; every other exception escapes, and libFuzzer reports it as a
// crash, as it does a sanitizer report, a timeout or an allocation over
// -rss_limit_mb.
#pragma once
#include <c10/util/Exception.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.h"

namespace lrid::fuzz {

namespace fs = std::filesystem;

// Separates the files of one input (IDX, CIFAR-10 and sweep targets); seeds
// hold it, and libFuzzer's comparison hooks learn it from the find() below.
inline constexpr std::string_view kSeparator = "\n@@lrid-fuzz-file@@\n";

// This process's scratch folder: under /dev/shm (RAM) when it exists, else TMPDIR.
inline const fs::path& scratch_root() {
  static const fs::path p = [] {
    const char* tmp = std::getenv("TMPDIR");
    fs::path root = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::path(tmp ? tmp : "/tmp");
    return root / ("lrid-fuzz-" + std::to_string(::getpid()));
  }();
  return p;
}

// The scratch folder (created once, removed at exit). Targets overwrite their
// files for every input and remove the ones an input lacks: emptying the folder
// each time would cost more than a fast reader's whole run.
inline const fs::path& scratch() {
  static const bool created = [] {
    fs::create_directories(scratch_root());
    return std::atexit([] {
      std::error_code ec;
      fs::remove_all(scratch_root(), ec);
    }) == 0;
  }();
  (void)created;
  return scratch_root();
}

inline void write_file(const fs::path& path, std::string_view bytes) {
  if (!fs::is_directory(path.parent_path())) fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The input cut at kSeparator into at most `max_parts` parts (the last keeps the rest).
inline std::vector<std::string_view> split_parts(const uint8_t* data, size_t size, size_t max_parts) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const size_t at = rest.find(kSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(rest.substr(0, at));
    rest.remove_prefix(at + kSeparator.size());
  }
  parts.push_back(rest);
  return parts;
}

// Runs `read`; a clean rejection (lrid::Error, c10::Error) is a normal outcome.
template <class F>
int guarded(F&& read) {
  try {
    read();
  } catch (const lrid::Error&) {
  } catch (const c10::Error&) {
  }
  return 0;
}

}  // namespace lrid::fuzz

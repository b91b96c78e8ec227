// Atomic writes and whole-file reads. See files.h.
#include "core/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/errors.h"

namespace lrid {

void write_file_atomic(const fs::path& path, const std::string& content) {
  fs::path tmp = path;
  tmp += fmt::format(".tmp{}", static_cast<long>(getpid()));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw IoError(fmt::format("{}: cannot write ({})", path.string(), std::strerror(errno)));
  const char* p = content.data();
  std::size_t left = content.size();
  // On any failure the temporary file goes and the previous `path` stays as it was.
  auto fail = [&](const char* what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw IoError(fmt::format("{}: {} ({})", path.string(), what, std::strerror(err)));
  };
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write failed", errno);
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail("write failed", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw IoError(fmt::format("{}: write failed ({})", path.string(), std::strerror(err)));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    ::unlink(tmp.c_str());
    throw IoError(fmt::format("{}: cannot rename into place ({})", path.string(), ec.message()));
  }
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: cannot read", path.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ensure_directory(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(fmt::format("{}: cannot create ({})", dir.string(), ec.message()));
}

}  // namespace lrid

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

fs::path temporary_path(const fs::path& path) {
  fs::path tmp = path;
  tmp += fmt::format(".tmp{}", static_cast<long>(getpid()));
  return tmp;
}

void commit_file(const fs::path& tmp, const fs::path& path) {
  auto fail = [&](const char* what, const std::string& reason) {
    ::unlink(tmp.c_str());
    throw IoError(fmt::format("{}: {} ({})", path.string(), what, reason));
  };
  const int fd = ::open(tmp.c_str(), O_RDONLY);
  if (fd < 0) fail("write failed", std::strerror(errno));
  const int synced = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  if (synced != 0) fail("write failed", std::strerror(synced));
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) fail("cannot rename into place", ec.message());
}

void write_file_atomic(const fs::path& path, const std::string& content) {
  const fs::path tmp = temporary_path(path);
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

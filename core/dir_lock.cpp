// Folder locks. See dir_lock.h.
#include "core/dir_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/errors.h"
#include "core/files.h"

namespace lrid {
namespace {

std::string host_name() {
  char buf[256] = {};
  return gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : std::string("?");
}

// "PID@HOST" as the owner wrote it, or "" when unreadable.
std::string owner_of(int fd) {
  char buf[128] = {};
  const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  std::string s = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

DirLock::DirLock(const std::filesystem::path& dir, const std::string& what, const std::string& name) {
  ensure_directory(dir);
  const auto file = dir / name;
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoError(fmt::format("{}: cannot open the lock file: {}", file.string(), std::strerror(errno)));
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string owner = owner_of(fd_);
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw IoError(fmt::format("{}: this {} is in use by process {} (lock file {}); wait for it to end or "
                                "choose another --out",
                                dir.string(), what, owner.empty() ? "?" : owner, file.string()));
    throw IoError(fmt::format("{}: cannot lock: {}", file.string(), std::strerror(err)));
  }
  // Ours now (a stale file from a killed owner is simply overwritten).
  const std::string me = fmt::format("{}@{}\n", static_cast<long>(getpid()), host_name());
  // The lock holds without this note; a failed write only costs a refused process the PID in its message.
  const bool noted = ftruncate(fd_, 0) == 0 && pwrite(fd_, me.data(), me.size(), 0) == static_cast<ssize_t>(me.size());
  (void)noted;
}

DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock; the file stays, stale
}

}  // namespace lrid

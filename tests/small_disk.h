// A small disk for tests of full-disk handling: a tmpfs of a given size mounted
// on a folder (needs root; tests skip where the mount is refused), grown with
// resize() or filled to the last byte with fill() and freed again with unfill().
#pragma once
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace lrid::test {

class SmallDisk {
 public:
  SmallDisk(const std::filesystem::path& dir, const std::string& size) : dir_(dir) {
    std::filesystem::create_directories(dir);
    mounted_ = geteuid() == 0 && mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  bool mounted() const { return mounted_; }
  bool resize(const std::string& size) {
    return mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0;
  }
  // Takes every free byte (a filler file written until ENOSPC).
  void fill() {
    FILE* f = std::fopen(filler().c_str(), "wb");
    if (!f) return;
    const std::vector<char> block(4096, 'x');
    std::setvbuf(f, nullptr, _IONBF, 0);
    while (std::fwrite(block.data(), 1, block.size(), f) == block.size()) {
    }
    std::fwrite(block.data(), 1, 1, f);  // the last partial page
    std::fclose(f);
  }
  // Frees what fill() took.
  void unfill() { std::filesystem::remove(filler()); }

 private:
  std::filesystem::path filler() const { return dir_ / ".filler"; }
  std::filesystem::path dir_;
  bool mounted_ = false;
};

}  // namespace lrid::test

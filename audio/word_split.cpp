// Speech Commands' split of a spoken-word folder. See word_split.h.
#include "audio/word_split.h"

#include <fmt/format.h>
#include <openssl/sha.h>

#include <filesystem>
#include <fstream>

#include "core/errors.h"

namespace lrid {

std::string speaker_id(const std::string& path) {
  const std::string base = std::filesystem::path(path).filename().string();
  const auto cut = base.find("_nohash_");
  return cut == std::string::npos ? base : base.substr(0, cut);
}

double speaker_percentage(const std::string& speaker) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(speaker.data()), speaker.size(), digest);
  // The digest's value mod 2^27: its last 27 bits.
  const uint32_t last = (uint32_t{digest[16]} << 24) | (uint32_t{digest[17]} << 16) | (uint32_t{digest[18]} << 8) |
                        uint32_t{digest[19]};
  constexpr uint32_t kMaxWavsPerClass = (1u << 27) - 1;
  return static_cast<double>(last & kMaxWavsPerClass) * (100.0 / kMaxWavsPerClass);
}

WordSet hash_set(const std::string& path, double validation_percent, double test_percent) {
  const double p = speaker_percentage(speaker_id(path));
  if (p < validation_percent) return WordSet::kValidation;
  if (p < validation_percent + test_percent) return WordSet::kTesting;
  return WordSet::kTraining;
}

std::set<std::string> read_file_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw DataError(fmt::format("{}: cannot read the file list", path));
  std::set<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) out.insert(line);
  }
  if (in.bad()) throw DataError(fmt::format("{}: read error", path));
  return out;
}

}  // namespace lrid

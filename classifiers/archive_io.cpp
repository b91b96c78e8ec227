// LibTorch archive helpers. See archive_io.h.
#include "classifiers/archive_io.h"

#include <fmt/format.h>

#include <cstring>
#include <sstream>

#include "core/errors.h"
#include "core/files.h"

namespace lrid {

void write_tensors(torch::serialize::OutputArchive& archive, NamedTensors tensors) {
  for (const auto& [key, tensor] : tensors) archive.write(key, tensor);
}

torch::Tensor read_tensor(torch::serialize::InputArchive& archive, const std::string& key) {
  torch::Tensor t;
  archive.read(key, t);
  return t;
}

torch::Tensor read_tensor(torch::serialize::InputArchive& archive, const std::string& key, torch::ScalarType dtype,
                          const std::string& what) {
  const torch::Tensor t = read_tensor(archive, key);
  if (t.scalar_type() != dtype) throw IoError(fmt::format("{}: {} has the wrong dtype", what, key));
  return t.contiguous();
}

std::string read_text(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue v;
  archive.read(key, v);
  return v.toStringRef();
}

int64_t seed_to_bits(uint64_t seed) {
  int64_t bits = 0;
  std::memcpy(&bits, &seed, sizeof bits);
  return bits;
}

uint64_t seed_from_bits(int64_t bits) {
  uint64_t seed = 0;
  std::memcpy(&seed, &bits, sizeof seed);
  return seed;
}

void save_archive(torch::serialize::OutputArchive& archive, const std::string& path) {
  std::ostringstream bytes;
  try {
    archive.save_to(bytes);
  } catch (const c10::Error& e) {
    throw IoError(fmt::format("{}: cannot write: {}", path, e.what_without_backtrace()));
  }
  write_file_atomic(path, bytes.str());
}

}  // namespace lrid

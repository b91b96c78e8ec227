// Named tensors and values in LibTorch archives (torch::serialize), as the
// classifiers save their fitted state (no pickles): writing several tensors at
// once, reading one back with a dtype check, text values, seeds kept bit for bit
// and whole archives written atomically.
#pragma once
#include <torch/serialize.h>
#include <torch/types.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

namespace lrid {

using NamedTensors = std::initializer_list<std::pair<const char*, torch::Tensor>>;

// Writes each tensor under its key, in order.
void write_tensors(torch::serialize::OutputArchive& archive, NamedTensors tensors);
// The tensor under `key` (c10::Error when absent).
torch::Tensor read_tensor(torch::serialize::InputArchive& archive, const std::string& key);
// The tensor under `key`, contiguous; IoError "<what>: <key> has the wrong dtype" unless it is of `dtype`.
torch::Tensor read_tensor(torch::serialize::InputArchive& archive, const std::string& key, torch::ScalarType dtype,
                          const std::string& what);
// The string value under `key` (c10::Error when absent or not a string).
std::string read_text(torch::serialize::InputArchive& archive, const std::string& key);

// A uint64 seed as the int64 of the same bits (archives hold signed integers), and back.
int64_t seed_to_bits(uint64_t seed);
uint64_t seed_from_bits(int64_t bits);

// Writes the archive to `path` atomically (core/files.h); IoError naming the path.
void save_archive(torch::serialize::OutputArchive& archive, const std::string& path);

}  // namespace lrid

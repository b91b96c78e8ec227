// LibTorch archives that lrid reads back (training checkpoints, saved
// classifiers) are checked before LibTorch reads any tensor's data.
//
// LibTorch gives a loaded storage the byte size its pickle declares (numel x
// item size) but the buffer of its zip record; a corrupt file can make the
// record shorter, and anything reading the tensor then runs past the buffer
// (checkpoint_fuzz found it: tests/fuzz/known_crashes/README.md). No LibTorch
// call checks this, so the archive's pickles are unpickled once more here with
// the sizes of the records noted.
#pragma once
#include <torch/types.h>

#include <stdexcept>
#include <string>

namespace lrid {

// A storage larger than its record, or a tensor larger than its storage. The
// message says which; callers prefix the file and their own error type.
class ArchiveStorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Whether every element a tensor's sizes, strides and offset reach lies inside
// its storage's declared bytes.
bool fits_storage(const torch::Tensor& t);

// Checks every storage of the archive's "constants" and "data" pickles against
// its record, and every tensor in them against its storage. Throws
// ArchiveStorageError, or c10::Error (or torch::jit's errors) for an archive
// LibTorch cannot parse. `bytes` is the whole archive file.
void check_archive_storages(const std::string& bytes);

}  // namespace lrid

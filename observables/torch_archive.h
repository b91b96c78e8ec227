// LibTorch archives that lrid reads back (training checkpoints, saved
// classifiers) are checked before LibTorch reads any tensor's data.
//
// LibTorch gives a loaded storage the byte size its pickle declares (numel x
// item size) but the buffer of its zip record; a corrupt file can make the
// record shorter, and anything reading the tensor then runs past the buffer
// (checkpoint_fuzz found it: tests/fuzz/known_crashes/README.md). No LibTorch
// call checks this, so the archive's pickles are unpickled once more here with
// the sizes of the records noted.
//
// LibTorch's unpickler also sizes a string by the length its opcode declares
// before reading it (Unpickler::readBytes), and its zip reader a record by the
// size its directory declares: a few corrupt bytes cost up to 4 GB and seconds
// of zeroing (checkpoint_fuzz's timeout). Both are bounded here before either
// runs: walk_pickle walks the opcodes as pickletools does; no library does it
// from C++ without running the pickle.
#pragma once
#include <torch/types.h>

#include <stdexcept>
#include <string>
#include <string_view>

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

// Where a walk over a pickle's opcodes ended.
struct PickleWalk {
  size_t opcodes = 0;   // opcodes walked, STOP included
  size_t end = 0;       // byte offset just past the last opcode walked
  bool stopped = false; // the walk reached STOP (else an unknown opcode or the end of the bytes)
};

// Walks a pickle's opcodes (protocols 0 to 5, argument layouts as Python's
// pickletools) up to STOP, and throws ArchiveStorageError naming the opcode
// and its offset if a length-prefixed argument (a string, bytes, a long)
// declares more bytes than follow it, or a memo entry is stored at an index
// beyond the pickle's length (LibTorch grows its memo table to it). The walk
// ends early at an opcode it does not know or at a truncated argument: the
// unpickler fails there itself, before reading anything later.
PickleWalk walk_pickle(std::string_view pickle);

// Checks every storage of the archive's "constants" and "data" pickles against
// its record, and every tensor in them against its storage. Throws
// ArchiveStorageError, or c10::Error (or torch::jit's errors) for an archive
// LibTorch cannot parse. `bytes` is the whole archive file. Every pickle and
// storage record must declare at most the archive's own size (LibTorch stores
// them uncompressed), any other record at most 1032 times it (deflate's
// largest ratio), and every pickle must pass walk_pickle.
void check_archive_storages(const std::string& bytes);

}  // namespace lrid

// observables/torch_archive.h: a tensor fits its storage exactly when every
// element its sizes, strides and offset reach lies in the storage's bytes, and
// an archive whose storage record was cut short is refused before LibTorch
// reads it, while the archive as written passes.
#include "observables/torch_archive.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <sstream>
#include <string>
#include <vector>

#include "archive_edit.h"
#include "core/files.h"
#include "test_paths.h"

namespace lrid {
namespace {

// A view of `base`'s storage set without LibTorch's bounds check, as its
// unpickler sets a loaded tensor's sizes, strides and offset.
torch::Tensor unchecked_view(const torch::Tensor& base, at::IntArrayRef sizes, at::IntArrayRef strides,
                             int64_t offset) {
  torch::Tensor t = torch::empty({0}, base.options());
  t.set_(base.storage());
  t.unsafeGetTensorImpl()->set_storage_offset(offset);
  t.unsafeGetTensorImpl()->set_sizes_and_strides(sizes, strides);
  return t;
}

TEST(FitsStorage, ViewsInsideTheStorageFitAndViewsPastItDoNot) {
  const torch::Tensor base = torch::arange(6, torch::kFloat32);  // 24 bytes
  EXPECT_TRUE(fits_storage(base));
  EXPECT_TRUE(fits_storage(unchecked_view(base, {2, 3}, {3, 1}, 0)));
  EXPECT_TRUE(fits_storage(unchecked_view(base, {3}, {2}, 1)));        // elements 1, 3, 5
  EXPECT_FALSE(fits_storage(unchecked_view(base, {2, 3}, {3, 1}, 1)));  // reaches element 6
  EXPECT_FALSE(fits_storage(unchecked_view(base, {4}, {2}, 0)));        // reaches element 6
  EXPECT_FALSE(fits_storage(unchecked_view(base, {1}, {1}, 6)));        // starts past the end
  EXPECT_FALSE(fits_storage(unchecked_view(base, {1 << 20, 1 << 20}, {int64_t{1} << 50, 1 << 20}, 0)));  // overflows
  EXPECT_TRUE(fits_storage(unchecked_view(base, {0, 5}, {100, 100}, 3)));  // no element at all
  EXPECT_TRUE(fits_storage(torch::Tensor()));
}

// An archive of two tensors as torch::serialize writes it, and the same archive
// rewritten by LibTorch's zip writer with record `cut` shortened by `by` bytes.
std::string archive_bytes(const std::string& cut = "", size_t by = 0) {
  torch::serialize::OutputArchive out;
  out.write("a", torch::arange(10, torch::kFloat64));
  out.write("b", torch::ones({3, 4}));
  std::ostringstream whole;
  out.save_to(whole);
  if (cut.empty()) return whole.str();
  return test::rewrite_archive(whole.str(), [&](const std::string& name, std::string& contents) {
    if (name == cut) contents.resize(contents.size() - by);
  });
}

TEST(CheckArchiveStorages, AWholeArchivePassesAndOneWithAStorageCutShortDoesNot) {
  EXPECT_NO_THROW(check_archive_storages(archive_bytes()));
  EXPECT_NO_THROW(check_archive_storages(archive_bytes("data/0", 0)));  // rewritten, nothing cut
  for (const std::string record : {"data/0", "data/1"}) {
    try {
      check_archive_storages(archive_bytes(record, 1));
      ADD_FAILURE() << record << " cut by 1 byte passed";
    } catch (const ArchiveStorageError& e) {
      EXPECT_NE(std::string(e.what()).find("storage " + record + " declares"), std::string::npos) << e.what();
    }
  }
}

// LibTorch's unpickler sizes a string by its declared length before reading
// it: a pickle declaring 2 GB in a record of a few bytes is refused unread.
TEST(CheckArchiveStorages, APickleDeclaringMoreThanItsRecordHoldsIsRefused) {
  const std::string crafted = test::rewrite_archive(archive_bytes(), [](const std::string& name, std::string& c) {
    if (name == "data.pkl") c = std::string("\x80\x02X\xff\xff\xff\x7f", 7) + "abc.";  // PROTO 2, BINUNICODE 2^31-1
  });
  try {
    check_archive_storages(crafted);
    ADD_FAILURE() << "a 2 GB string in a 11-byte pickle passed";
  } catch (const ArchiveStorageError& e) {
    EXPECT_STREQ(e.what(), "data.pkl: pickle opcode 0x58 at byte 2 declares 2147483647 bytes, 4 follow it");
  }
}

// saved_classifier_fuzz's input: an empty data.pkl (a null record pointer,
// once passed to memcpy) is LibTorch's "end of archive" error.
TEST(CheckArchiveStorages, AnEmptyPickleIsALibTorchError) {
  const std::string empty = test::rewrite_archive(archive_bytes(), [](const std::string& name, std::string& c) {
    if (name == "data.pkl") c.clear();
  });
  EXPECT_THROW(check_archive_storages(empty), c10::Error);
}

TEST(CheckArchiveStorages, BytesThatAreNotAnArchiveAreALibTorchError) {
  EXPECT_THROW(check_archive_storages("not a zip archive"), c10::Error);
}

// Python's own pickles of one object in every protocol (golden/pickles/
// make_pickles.py; opcode counts from pickletools.genops) walk to their STOP.
TEST(WalkPickle, WalksPythonPicklesOfEveryProtocolToTheirStop) {
  const std::vector<std::pair<size_t, size_t>> expected = {  // (bytes, opcodes) of protocol 0..5
      {1464, 120}, {1225, 101}, {1148, 95}, {1089, 81}, {1000, 74}, {975, 64}};
  for (size_t p = 0; p < expected.size(); ++p) {
    const std::string bytes =
        read_file(fmt::format("{}/tests/observables/golden/pickles/protocol{}.pkl", LRID_SOURCE_DIR, p));
    ASSERT_EQ(bytes.size(), expected[p].first) << p;
    const PickleWalk w = walk_pickle(bytes);
    EXPECT_TRUE(w.stopped) << p;
    EXPECT_EQ(w.end, bytes.size()) << p;
    EXPECT_EQ(w.opcodes, expected[p].second) << p;
  }
}

// Each length-prefixed opcode: declaring exactly the bytes that follow walks
// on; one more is refused with the opcode and its offset.
TEST(WalkPickle, ALengthPastTheEndIsRefusedAndAnExactOneIsNot) {
  struct Case { char op; int width; };
  for (const Case c : {Case{'\x8a', 1}, {'U', 1}, {'C', 1}, {'\x8c', 1}, {'B', 4}, {'X', 4}, {'\x8b', 4}, {'T', 4},
                       {'\x8d', 8}, {'\x8e', 8}, {'\x96', 8}}) {
    const auto pickle = [&](uint64_t length) {
      std::string s = "\x80\x04";
      s += c.op;
      for (int i = 0; i < c.width; ++i) s += static_cast<char>((length >> (8 * i)) & 0xff);
      return s + std::string(5, 'a') + ".";
    };
    const PickleWalk exact = walk_pickle(pickle(6));  // the five 'a's and the STOP as the argument
    EXPECT_FALSE(exact.stopped) << c.op;
    EXPECT_EQ(exact.end, pickle(6).size()) << c.op;
    const PickleWalk shorter = walk_pickle(pickle(5));
    EXPECT_TRUE(shorter.stopped) << c.op;
    EXPECT_EQ(shorter.opcodes, 3u) << c.op;
    try {
      walk_pickle(pickle(7));
      ADD_FAILURE() << "opcode " << int(static_cast<unsigned char>(c.op)) << " declaring 7 of 6 bytes passed";
    } catch (const ArchiveStorageError& e) {
      EXPECT_EQ(std::string(e.what()), fmt::format("pickle opcode 0x{:02x} at byte 2 declares 7 bytes, 6 follow it",
                                                   static_cast<unsigned char>(c.op)));
    }
  }
}

// Picklers number memo entries from 0; LibTorch sizes its memo table by the
// index, so one past the pickle's length is refused (LONG_BINPUT, PUT).
TEST(WalkPickle, AMemoIndexBeyondThePickleIsRefused) {
  EXPECT_TRUE(walk_pickle(std::string("\x80\x02Nr\x09\x00\x00\x00.", 9)).stopped);  // index 9 of 9 bytes
  EXPECT_THROW(walk_pickle(std::string("\x80\x02Nr\x0a\x00\x00\x00.", 9)), ArchiveStorageError);
  EXPECT_THROW(walk_pickle(std::string("\x80\x02Nr\xff\xff\xff\xff.", 9)), ArchiveStorageError);
  EXPECT_TRUE(walk_pickle("Np3\n.").stopped);
  EXPECT_THROW(walk_pickle("Np99999999999999999999999\n."), ArchiveStorageError);
}

TEST(WalkPickle, ANegativeFourByteLengthIsRefused) {
  EXPECT_THROW(walk_pickle(std::string("T\xff\xff\xff\xff" "abc.", 9)), ArchiveStorageError);
}

// What the unpickler itself rejects first ends the walk without a verdict.
TEST(WalkPickle, AnUnknownOpcodeOrATruncatedArgumentEndsTheWalk) {
  const PickleWalk unknown = walk_pickle(std::string("\x80\x02N\xffX\xff\xff\xff\xff", 9));
  EXPECT_FALSE(unknown.stopped);
  EXPECT_EQ(unknown.opcodes, 2u);
  EXPECT_EQ(unknown.end, 3u);
  // GLOBAL's second line unended (a string literal split so that 'c' is not read as a hex digit).
  const PickleWalk truncated = walk_pickle(std::string("\x80\x02" "cmodule\nname", 14));
  EXPECT_FALSE(truncated.stopped);
  EXPECT_EQ(truncated.opcodes, 1u);
  EXPECT_EQ(truncated.end, 2u);
  EXPECT_TRUE(walk_pickle(std::string("\x80\x02" "cmodule\nname\n.", 16)).stopped);
  EXPECT_EQ(walk_pickle(std::string("\x80\x02X\x01", 4)).end, 2u);  // a length cut short
}

}  // namespace
}  // namespace lrid

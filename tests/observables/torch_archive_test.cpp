// observables/torch_archive.h: a tensor fits its storage exactly when every
// element its sizes, strides and offset reach lies in the storage's bytes, and
// an archive whose storage record was cut short is refused before LibTorch
// reads it, while the archive as written passes.
#include "observables/torch_archive.h"

#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <sstream>
#include <string>

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
  std::istringstream in(whole.str());
  caffe2::serialize::PyTorchStreamReader reader(&in);
  std::string bytes;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, size_t n) {
    bytes.append(static_cast<const char*>(data), n);
    return n;
  });
  for (const auto& name : reader.getAllRecords()) {
    if (writer.getAllWrittenRecords().count(name)) continue;
    auto [data, size] = reader.getRecord(name);
    writer.writeRecord(name, data.get(), name == cut ? size - by : size);
  }
  writer.writeEndOfFile();
  return bytes;
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

TEST(CheckArchiveStorages, BytesThatAreNotAnArchiveAreALibTorchError) {
  EXPECT_THROW(check_archive_storages("not a zip archive"), c10::Error);
}

}  // namespace
}  // namespace lrid

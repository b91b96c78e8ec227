// Checking LibTorch archives before they are loaded. See torch_archive.h.
#include "observables/torch_archive.h"

#include <caffe2/serialize/inline_container.h>
#include <fmt/format.h>
#include <torch/csrc/jit/serialization/storage_context.h>
#include <torch/csrc/jit/serialization/unpickler.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <tuple>
#include <sstream>
#include <utility>
#include <vector>

namespace lrid {

bool fits_storage(const torch::Tensor& t) {
  if (!t.defined() || t.numel() == 0) return true;
  // The highest element offset the view reaches (LibTorch keeps no negative strides:
  // TensorImpl::set_sizes_and_strides replaces them). A corrupt pickle's sizes can
  // overflow int64: such a view fits nothing.
  int64_t highest = t.storage_offset(), step = 0, bytes = 0;
  if (highest < 0) return false;
  for (int64_t d = 0; d < t.dim(); ++d)
    if (__builtin_mul_overflow(t.size(d) - 1, t.stride(d), &step) || __builtin_add_overflow(highest, step, &highest))
      return false;
  if (__builtin_add_overflow(highest, 1, &highest) || __builtin_mul_overflow(highest, t.element_size(), &bytes))
    return false;
  return static_cast<uint64_t>(bytes) <= t.storage().nbytes();
}

namespace {

// Every tensor inside an unpickled IValue tree (dicts, lists, tuples, objects).
void collect_tensors(const c10::IValue& v, std::vector<torch::Tensor>& out, int depth = 0) {
  if (depth > 256) throw ArchiveStorageError("values nested more than 256 levels deep");
  if (v.isTensor()) {
    out.push_back(v.toTensor());
  } else if (v.isGenericDict()) {
    for (const auto& kv : v.toGenericDict()) collect_tensors(kv.value(), out, depth + 1);
  } else if (v.isList()) {
    for (const auto& e : v.toListRef()) collect_tensors(e, out, depth + 1);
  } else if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) collect_tensors(e, out, depth + 1);
  } else if (v.isObject()) {
    for (const auto& e : v.toObjectRef().slots()) collect_tensors(e, out, depth + 1);
  }
}

}  // namespace

// Unpickles as torch::jit::readArchiveAndTensors does, but notes each record's
// size as it is read; the storage context keeps each declared storage by its
// key. Classes resolve to empty types: only the tree of values is needed, no
// TorchScript is compiled or run.

void check_archive_storages(const std::string& bytes) {
  std::istringstream in(bytes);
  caffe2::serialize::PyTorchStreamReader reader(&in);
  for (const std::string archive : {"constants", "data"}) {
    if (!reader.hasRecord(archive + ".pkl")) continue;
    at::DataPtr pickle;
    size_t pickle_size = 0;
    std::tie(pickle, pickle_size) = reader.getRecord(archive + ".pkl");
    size_t pos = 0;
    auto read = [&](char* buffer, size_t len) -> size_t {
      len = std::min(pickle_size - pos, len);
      std::memcpy(buffer, static_cast<const char*>(pickle.get()) + pos, len);
      pos += len;
      return len;
    };
    auto cu = std::make_shared<torch::jit::CompilationUnit>();
    auto resolve = [&cu](const c10::QualifiedName& name) {
      c10::ClassTypePtr cls = cu->get_class(name);
      if (!cls) {
        cls = c10::ClassType::create(name, cu);
        cu->register_type(cls);
      }
      return c10::StrongTypePtr(cu, cls);
    };
    // An object keeps its whole pickled state in one slot, whatever its class.
    auto as_values = [](const c10::StrongTypePtr& type, c10::IValue state) {
      auto object = c10::ivalue::Object::create(type, 1);
      object->setSlot(0, std::move(state));
      return object;
    };
    std::vector<std::pair<std::string, size_t>> record_sizes;  // (storage key, bytes in its record)
    auto read_record = [&](const std::string& key) {
      auto record = reader.getRecord(archive + "/" + key);
      record_sizes.emplace_back(key, std::get<1>(record));
      return std::move(std::get<0>(record));
    };
    auto storages = std::make_shared<torch::jit::DeserializationStorageContext>();
    torch::jit::Unpickler unpickler(read, resolve, as_values, read_record, torch::Device(torch::kCPU),
                                    /*use_storage_device=*/false, torch::jit::Unpickler::defaultTypeParser,
                                    storages);
    unpickler.set_version(reader.version());
    const c10::IValue tree = unpickler.parse_ivalue();
    for (const auto& [key, stored] : record_sizes) {
      const size_t declared = storages->getStorage(key).nbytes();
      if (declared > stored)
        throw ArchiveStorageError(
            fmt::format("storage {}/{} declares {} bytes, its record holds {}", archive, key, declared, stored));
    }
    std::vector<torch::Tensor> tensors;
    collect_tensors(tree, tensors);
    for (const auto& t : tensors)
      if (!fits_storage(t))
        throw ArchiveStorageError(fmt::format("a tensor of {}.pkl is larger than its stored data", archive));
  }
}

}  // namespace lrid

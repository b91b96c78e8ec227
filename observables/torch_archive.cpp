// Checking LibTorch archives before they are loaded. See torch_archive.h.
#include "observables/torch_archive.h"

#include <caffe2/serialize/inline_container.h>
#include <fmt/format.h>
#include <torch/csrc/jit/serialization/storage_context.h>
#include <torch/csrc/jit/serialization/unpickler.h>

#include <algorithm>
#include <array>
#include <initializer_list>
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

// How an opcode's argument is laid out (pickletools' ArgumentDescriptor n).
enum class Arg : uint8_t { kUnknown, kNone, kFixed1, kFixed2, kFixed4, kFixed8, kLine, kTwoLines,
                           kLength1, kLength4, kSignedLength4, kLength8 };

// Every opcode of pickle protocols 0 to 5 (Python's pickletools.opcodes), by its byte.
std::array<Arg, 256> opcode_table() {
  std::array<Arg, 256> t{};
  t.fill(Arg::kUnknown);
  const auto set = [&t](std::initializer_list<char> codes, Arg arg) {
    for (char c : codes) t[static_cast<unsigned char>(c)] = arg;
  };
  set({'N', 'a', 'e', 'l', ')', 't', '}', 'd', 's', 'u', '0', '2', '(', '1', 'R', 'b', 'o', 'Q', ']', '.',
       '\x81', '\x85', '\x86', '\x87', '\x88', '\x89', '\x8f', '\x90', '\x91', '\x92', '\x93', '\x94', '\x97',
       '\x98'},
      Arg::kNone);
  set({'K', 'h', 'q', '\x80', '\x82'}, Arg::kFixed1);
  set({'M', '\x83'}, Arg::kFixed2);
  set({'J', 'j', 'r', '\x84'}, Arg::kFixed4);
  set({'G', '\x95'}, Arg::kFixed8);
  set({'I', 'L', 'S', 'V', 'F', 'g', 'p', 'P'}, Arg::kLine);
  set({'c', 'i'}, Arg::kTwoLines);
  set({'\x8a', 'U', 'C', '\x8c'}, Arg::kLength1);
  set({'B', 'X'}, Arg::kLength4);
  set({'\x8b', 'T'}, Arg::kSignedLength4);
  set({'\x8d', '\x8e', '\x96'}, Arg::kLength8);
  return t;
}

uint64_t little_endian(const unsigned char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

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

PickleWalk walk_pickle(std::string_view pickle) {
  static const std::array<Arg, 256> table = opcode_table();
  const auto* bytes = reinterpret_cast<const unsigned char*>(pickle.data());
  const size_t size = pickle.size();
  PickleWalk walk;
  size_t pos = 0;
  // Past the newline that ends the line starting at `from`, or npos.
  const auto line_end = [&](size_t from) {
    const size_t nl = pickle.find('\n', from);
    return nl == std::string_view::npos ? nl : nl + 1;
  };
  while (pos < size) {
    const unsigned char op = bytes[pos];
    const Arg arg = table[op];
    if (arg == Arg::kUnknown) break;
    size_t next = pos + 1;
    uint64_t declared = 0;
    size_t prefix = 0;
    switch (arg) {
      case Arg::kNone: break;
      case Arg::kFixed1: next += 1; break;
      case Arg::kFixed2: next += 2; break;
      case Arg::kFixed4: next += 4; break;
      case Arg::kFixed8: next += 8; break;
      case Arg::kLine: next = line_end(next); break;
      case Arg::kTwoLines: next = line_end(next); if (next != std::string_view::npos) next = line_end(next); break;
      case Arg::kLength1: prefix = 1; break;
      case Arg::kLength4: case Arg::kSignedLength4: prefix = 4; break;
      case Arg::kLength8: prefix = 8; break;
      case Arg::kUnknown: break;
    }
    if (prefix > 0) {
      if (size - next < prefix) break;  // a truncated length: the unpickler stops there
      declared = little_endian(bytes + next, prefix);
      next += prefix;
      const bool negative = arg == Arg::kSignedLength4 && (declared & 0x80000000u);
      if (negative || declared > size - next)
        throw ArchiveStorageError(fmt::format("pickle opcode 0x{:02x} at byte {} declares {}{} bytes, {} follow it",
                                              op, pos, negative ? "a negative length, " : "",
                                              negative ? static_cast<int64_t>(static_cast<int32_t>(declared))
                                                       : static_cast<int64_t>(declared),
                                              size - next));
      next += declared;
    }
    if (next == std::string_view::npos || next > size) break;  // a truncated argument
    // LibTorch's unpickler grows its memo table to a stored entry's index;
    // picklers number entries from 0, one per opcode at most, so an index
    // beyond the pickle's length is corrupt (a 4-byte one would cost 64 GB).
    if (op == 'r' || op == 'p') {
      uint64_t index = 0;
      if (op == 'r') {
        index = little_endian(bytes + pos + 1, 4);
      } else {
        for (size_t i = pos + 1; i + 1 < next && index <= size; ++i)
          if (bytes[i] >= '0' && bytes[i] <= '9') index = index * 10 + (bytes[i] - '0');
      }
      if (index > size)
        throw ArchiveStorageError(fmt::format("pickle opcode 0x{:02x} at byte {} stores memo entry {}, more than a "
                                              "pickle of {} bytes can hold", op, pos, index, size));
    }
    pos = next;
    walk.opcodes += 1;
    walk.end = pos;
    if (op == '.') {
      walk.stopped = true;
      break;
    }
  }
  return walk;
}

// Unpickles as torch::jit::readArchiveAndTensors does, but notes each record's
// size as it is read; the storage context keeps each declared storage by its
// key. Classes resolve to empty types: only the tree of values is needed, no
// TorchScript is compiled or run.

void check_archive_storages(const std::string& bytes) {
  std::istringstream in(bytes);
  caffe2::serialize::PyTorchStreamReader reader(&in);
  // No record may declare more bytes than the archive could hold: LibTorch's
  // readers allocate the declared size before reading. Pickles and storages
  // (data.pkl, data/0, ...) are written stored, so they may not declare more
  // than the archive's own size; LibTorch deflates its TorchScript code
  // records, which loading also reads, and 1032:1 is deflate's largest ratio
  // (zlib's technical notes).
  for (const std::string& name : reader.getAllRecords()) {
    const bool stored = name == "data.pkl" || name == "constants.pkl" || name.rfind("data/", 0) == 0 ||
                        name.rfind("constants/", 0) == 0;
    const size_t declared = reader.getRecordSize(name);
    if ((stored ? declared : declared / 1032) > bytes.size())
      throw ArchiveStorageError(fmt::format("record {} declares {} bytes, more than an archive of {} can hold", name,
                                            declared, bytes.size()));
    // Every pickle loading may read (data, constants, the code's debug_pkl source ranges).
    if (name.size() < 3 || name.compare(name.size() - 3, 3, "pkl") != 0) continue;
    auto [pickle, pickle_size] = reader.getRecord(name);
    try {
      walk_pickle(std::string_view(static_cast<const char*>(pickle.get()), pickle_size));
    } catch (const ArchiveStorageError& e) {
      throw ArchiveStorageError(fmt::format("{}: {}", name, e.what()));
    }
  }
  for (const std::string archive : {"constants", "data"}) {
    if (!reader.hasRecord(archive + ".pkl")) continue;
    at::DataPtr pickle;
    size_t pickle_size = 0;
    std::tie(pickle, pickle_size) = reader.getRecord(archive + ".pkl");
    size_t pos = 0;
    auto read = [&](char* buffer, size_t len) -> size_t {
      len = std::min(pickle_size - pos, len);
      if (len == 0) return len;  // an empty record's data pointer is null, which memcpy may not take
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

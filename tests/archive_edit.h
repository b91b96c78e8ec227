// Rewriting a LibTorch archive with LibTorch's own zip writer, one record
// edited, so that a test corrupts exactly one thing and the zip stays valid.
#pragma once
#include <caffe2/serialize/inline_container.h>

#include <functional>
#include <sstream>
#include <string>

namespace lrid::test {

// `bytes` (a whole archive) rewritten record by record; `edit` sees each
// record's name (without the archive's folder) and may change its contents.
inline std::string rewrite_archive(const std::string& bytes,
                                   const std::function<void(const std::string&, std::string&)>& edit) {
  std::istringstream in(bytes);
  caffe2::serialize::PyTorchStreamReader reader(&in);
  std::string out;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, size_t n) {
    out.append(static_cast<const char*>(data), n);
    return n;
  });
  for (const auto& name : reader.getAllRecords()) {
    if (writer.getAllWrittenRecords().count(name)) continue;  // the writer adds `version` itself
    auto [data, size] = reader.getRecord(name);
    std::string contents(static_cast<const char*>(data.get()), size);
    edit(name, contents);
    writer.writeRecord(name, contents.data(), contents.size());
  }
  writer.writeEndOfFile();
  return out;
}

}  // namespace lrid::test

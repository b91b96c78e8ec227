// Fuzz target: an observable stream (observables/stream.h), read back by
// `lrid dataset build` (read_stream) and reopened on resume (ObservableStream,
// which keeps the records up to a step: the input's first byte).
#include "fuzz_util.h"
#include "observables/stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lrid::fuzz;
  if (size < 1) return 0;
  const fs::path path = scratch() / "full.csv";
  write_file(path, std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  const int64_t keep_through_step = static_cast<int8_t>(data[0]);
  guarded([&] { lrid::read_stream(path); });
  return guarded([&] {
    lrid::ObservableStream stream(path, keep_through_step);
    stream.append("");
    lrid::read_stream(path);
  });
}

// Fuzz target: a run's observables/index.json (observables/record_index.h
// read_record_index), read back by `lrid dataset build`.
#include "fuzz_util.h"
#include "observables/record_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lrid::fuzz;
  const fs::path run = scratch();
  write_file(run / "observables/index.json", std::string_view(reinterpret_cast<const char*>(data), size));
  return guarded([&] {
    const lrid::RecordIndex index = lrid::read_record_index(run);
    lrid::RecordIndex::from_json(index.to_json(), "round trip");
  });
}

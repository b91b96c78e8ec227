// Fuzz target: NumPy .npy arrays for `lrid stats` (observables/array_io.h read_npy).
#include "fuzz_util.h"
#include "observables/array_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lrid::fuzz;
  const fs::path path = scratch() / "array.npy";
  write_file(path, std::string_view(reinterpret_cast<const char*>(data), size));
  return guarded([&] { lrid::read_array(path.string()); });
}

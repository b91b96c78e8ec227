// Fuzz target: a saved classifier, as `lrid identify` reads it
// (classifiers/saved_classifier.h load_classifier, a LibTorch archive).
#include "classifiers/saved_classifier.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lrid::fuzz;
  const fs::path path = scratch() / "classifier.pt";
  write_file(path, std::string_view(reinterpret_cast<const char*>(data), size));
  return guarded([&] { lrid::load_classifier(path.string()); });
}

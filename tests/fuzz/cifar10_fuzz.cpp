// Fuzz target: a CIFAR-10 binary folder (images/datasets.h load_cifar10). The
// input holds up to seven files separated by kSeparator: data_batch_1..5.bin,
// test_batch.bin and batches.meta.txt (absent when the input has fewer parts).
#include "fuzz_util.h"
#include "images/datasets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lrid::fuzz;
  static const char* kNames[] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                                 "data_batch_5.bin", "test_batch.bin",   "batches.meta.txt"};
  const fs::path root = scratch();
  const auto parts = split_parts(data, size, 7);
  for (size_t i = 0; i < 7; ++i) {
    if (i < parts.size()) write_file(root / kNames[i], parts[i]);
    else fs::remove(root / kNames[i]);
  }
  return guarded([&] {
    const lrid::ImageData d = lrid::load_cifar10(root.string());
    d.train->images({0, d.train->size() - 1});
    d.test->images({0});
  });
}

// Fuzz target: a Fashion-MNIST folder of IDX files (images/datasets.h
// load_fashion_mnist). The input holds up to four files, in the order
// train-images, train-labels, t10k-images, t10k-labels, separated by
// kSeparator; a file starting with the gzip magic is written as <name>.gz.
#include "fuzz_util.h"
#include "images/datasets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lrid::fuzz;
  static const char* kNames[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                 "t10k-labels-idx1-ubyte"};
  const fs::path root = scratch();
  const auto parts = split_parts(data, size, 4);
  for (size_t i = 0; i < 4; ++i) {
    const std::string plain = kNames[i], gz = plain + ".gz";
    fs::remove(root / plain);
    fs::remove(root / gz);
    if (i >= parts.size()) continue;
    const bool zipped = parts[i].size() >= 2 && parts[i][0] == '\x1f' && parts[i][1] == '\x8b';
    write_file(root / (zipped ? gz : plain), parts[i]);
  }
  return guarded([&] {
    const lrid::ImageData d = lrid::load_fashion_mnist(root.string());
    d.train->images({0, d.train->size() - 1});
    d.test->images({d.test->size() - 1});
  });
}

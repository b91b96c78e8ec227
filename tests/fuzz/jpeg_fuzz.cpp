// Fuzz target: a JPEG entry of an image folder (images/datasets.h
// load_image_folder, decoded by libjpeg-turbo). The first byte picks the decode
// size (1-64); the rest is the JPEG file root/train/c/a.jpg, which is decoded.
#include "fuzz_util.h"
#include "images/datasets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lrid::fuzz;
  if (size < 1) return 0;
  const int64_t decode_size = 1 + data[0] % 64;
  const fs::path root = scratch();
  const std::string_view jpeg(reinterpret_cast<const char*>(data) + 1, size - 1);
  write_file(root / "train/c/a.jpg", jpeg);
  write_file(root / "val/c/a.jpg", jpeg);
  return guarded([&] {
    const lrid::ImageData d = lrid::load_image_folder(root.string(), decode_size);
    d.train->images({0});
  });
}

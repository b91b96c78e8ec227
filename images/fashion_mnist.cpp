// Fashion-MNIST from IDX files, gzipped (*.gz, read through zlib) or plain.
// IDX layout: a big-endian uint32 magic (2051 images, 2049 labels), then one
// big-endian uint32 per dimension (images: N, rows, cols; labels: N), then the
// uint8 payload, row-major. Held in memory as uint8 [N, 1, rows, cols].
#include <torch/torch.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "images/datasets.h"
#include "core/errors.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kImageMagic = 2051;
constexpr uint32_t kLabelMagic = 2049;
constexpr int64_t kFashionClasses = 10;


std::vector<uint8_t> read_gzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw DataError(fmt::format("{}: cannot open gzip file", path));
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> chunk(1 << 20);
  while (true) {
    int n = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int code = 0;
      std::string message = gzerror(file, &code);
      gzclose(file);
      throw DataError(fmt::format("{}: corrupt gzip data ({})", path, message));
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + n);
  }
  // A stream cut short reads as EOF; gzclose_r reports it as Z_BUF_ERROR.
  int rc = gzclose_r(file);
  if (rc == Z_BUF_ERROR) throw DataError(fmt::format("{}: truncated gzip stream", path));
  if (rc != Z_OK) throw DataError(fmt::format("{}: gzip error {} on close", path, rc));
  return bytes;
}

uint32_t big_endian_u32(const std::vector<uint8_t>& bytes, size_t offset) {
  return (uint32_t{bytes[offset]} << 24) | (uint32_t{bytes[offset + 1]} << 16) |
         (uint32_t{bytes[offset + 2]} << 8) | uint32_t{bytes[offset + 3]};
}

// A parsed IDX file: its dimensions and a copy of the payload.
struct Idx {
  std::string path;  // the file actually read (plain or .gz)
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;  // the whole file; payload starts at `offset`
  size_t offset = 0;
};

// Reads `stem` or `stem.gz` (plain preferred) and checks magic, dims and payload size.
Idx read_idx(const std::string& root, const std::string& stem, uint32_t magic, size_t ndims) {
  std::string plain = (fs::path(root) / stem).string();
  std::string gz = plain + ".gz";
  Idx idx;
  std::string& path = idx.path;
  if (fs::is_regular_file(plain)) {
    path = plain;
    idx.bytes = read_bytes(path);
  } else if (fs::is_regular_file(gz)) {
    path = gz;
    idx.bytes = read_gzip(path);
  } else {
    throw DataError(fmt::format("{}[.gz]: missing Fashion-MNIST file", plain));
  }
  const size_t header = 4 * (1 + ndims);
  if (idx.bytes.size() < header) {
    throw DataError(fmt::format("{}: truncated IDX header ({} bytes, need {})", path,
                                idx.bytes.size(), header));
  }
  uint32_t found = big_endian_u32(idx.bytes, 0);
  if (found != magic) {
    throw DataError(fmt::format("{}: wrong IDX magic number {} (expected {})", path, found, magic));
  }
  uint64_t payload = 1;
  for (size_t d = 0; d < ndims; ++d) {
    uint32_t dim = big_endian_u32(idx.bytes, 4 * (1 + d));
    if (dim == 0) throw DataError(fmt::format("{}: IDX dimension {} is zero", path, d));
    idx.dims.push_back(dim);
    payload *= dim;  // at most 3 factors < 2^32 each; the size check below catches absurd ones
    if (payload > (uint64_t{1} << 40)) {
      throw DataError(fmt::format("{}: IDX dimensions are implausibly large", path));
    }
  }
  if (idx.bytes.size() != header + payload) {
    throw DataError(fmt::format("{}: {} file: {} payload bytes, dimensions {} need {}", path,
                                idx.bytes.size() < header + payload ? "truncated" : "oversized",
                                idx.bytes.size() - header, idx.dims, payload));
  }
  idx.offset = header;
  return idx;
}

// One split: images [N, 1, rows, cols] and labels [N], cross-checked.
std::shared_ptr<DataSplit> load_split(const std::string& root, const std::string& prefix) {
  Idx images = read_idx(root, prefix + "-images-idx3-ubyte", kImageMagic, 3);
  Idx labels = read_idx(root, prefix + "-labels-idx1-ubyte", kLabelMagic, 1);
  if (images.dims[0] != labels.dims[0]) {
    throw DataError(fmt::format("{}: {} labels but {} holds {} images", labels.path,
                                labels.dims[0], images.path, images.dims[0]));
  }
  const int64_t n = images.dims[0], rows = images.dims[1], cols = images.dims[2];
  torch::Tensor x = torch::empty({n, 1, rows, cols}, torch::kUInt8);
  std::memcpy(x.data_ptr<uint8_t>(), images.bytes.data() + images.offset,
              static_cast<size_t>(n * rows * cols));
  torch::Tensor y = torch::empty({n}, torch::kInt64);
  int64_t* yp = y.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    uint8_t label = labels.bytes[labels.offset + static_cast<size_t>(i)];
    if (label >= kFashionClasses) {
      throw DataError(fmt::format("{}: label {} of example {} is outside [0, {})", labels.path,
                                  label, i, kFashionClasses));
    }
    yp[i] = label;
  }
  return make_memory_split(x, y);
}

}  // namespace

ImageData load_fashion_mnist(const std::string& root) {
  if (!fs::is_directory(root)) {
    throw DataError(fmt::format("{}: Fashion-MNIST directory does not exist", root));
  }
  ImageData data;
  data.name = "fashion_mnist";
  data.train = load_split(root, "train");
  data.test = load_split(root, "t10k");
  if (data.train->height() != data.test->height() || data.train->width() != data.test->width()) {
    throw DataError(fmt::format("{}: train images are {}x{} but test images are {}x{}", root,
                                data.train->height(), data.train->width(), data.test->height(),
                                data.test->width()));
  }
  data.num_classes = kFashionClasses;
  data.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return data;
}

}  // namespace lrid

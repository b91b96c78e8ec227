// CIFAR-10, binary version: data_batch_1..5.bin (train) and test_batch.bin.
// Each record is 1 label byte followed by 3072 pixel bytes: the 1024 red, then
// 1024 green, then 1024 blue values of a row-major 32x32 image, which is
// already the [C, H, W] layout. Held in memory as uint8 [N, 3, 32, 32].
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "images/datasets.h"
#include "core/errors.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kSide = 32;
constexpr int64_t kPixels = 3 * kSide * kSide;  // 3072
constexpr int64_t kRecord = 1 + kPixels;         // 3073
constexpr int64_t kCifarClasses = 10;

// All records of one batch file as uint8 [n, 3073].
torch::Tensor read_records(const std::string& path) {
  if (!fs::is_regular_file(path)) throw DataError(fmt::format("{}: missing CIFAR-10 file", path));
  const auto bytes = static_cast<int64_t>(fs::file_size(path));
  if (bytes == 0 || bytes % kRecord != 0) {
    throw DataError(fmt::format("{}: size {} bytes is not a positive multiple of the {}-byte record",
                                path, bytes, kRecord));
  }
  torch::Tensor records = torch::empty({bytes / kRecord, kRecord}, torch::kUInt8);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(records.data_ptr<uint8_t>()), bytes);
  if (!in) throw DataError(fmt::format("{}: read error", path));
  return records;
}

std::shared_ptr<DataSplit> load_split(const std::vector<std::string>& paths) {
  std::vector<torch::Tensor> images, labels;
  for (const std::string& path : paths) {
    torch::Tensor records = read_records(path);
    torch::Tensor y = records.select(1, 0).to(torch::kInt64);
    if (y.max().item<int64_t>() >= kCifarClasses) {
      int64_t bad = (y >= kCifarClasses).nonzero()[0][0].item<int64_t>();
      throw DataError(fmt::format("{}: label {} of record {} is outside [0, {})", path,
                                  y[bad].item<int64_t>(), bad, kCifarClasses));
    }
    images.push_back(records.slice(1, 1).reshape({-1, 3, kSide, kSide}));
    labels.push_back(y);
  }
  return make_memory_split(torch::cat(images), torch::cat(labels));
}

// batches.meta.txt lists one class name per line (trailing blank lines follow).
std::vector<std::string> read_class_names(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw DataError(fmt::format("{}: cannot open file", path));
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    auto not_space = [](unsigned char c) { return !std::isspace(c); };
    line.erase(line.begin(), std::find_if(line.begin(), line.end(), not_space));
    line.erase(std::find_if(line.rbegin(), line.rend(), not_space).base(), line.end());
    if (!line.empty()) names.push_back(line);
  }
  if (static_cast<int64_t>(names.size()) != kCifarClasses) {
    throw DataError(fmt::format("{}: {} class names, expected {}", path, names.size(), kCifarClasses));
  }
  return names;
}

}  // namespace

ImageData load_cifar10(const std::string& root) {
  if (!fs::is_directory(root)) {
    throw DataError(fmt::format("{}: CIFAR-10 directory does not exist", root));
  }
  std::vector<std::string> train_paths;
  for (int b = 1; b <= 5; ++b) {
    train_paths.push_back((fs::path(root) / fmt::format("data_batch_{}.bin", b)).string());
  }
  ImageData data;
  data.name = "cifar10";
  data.train = load_split(train_paths);
  data.test = load_split({(fs::path(root) / "test_batch.bin").string()});
  data.num_classes = kCifarClasses;
  const std::string meta = (fs::path(root) / "batches.meta.txt").string();
  if (fs::exists(meta)) {
    data.class_names = read_class_names(meta);
  } else {
    data.class_names = {"airplane", "automobile", "bird",  "cat",  "deer",
                        "dog",      "frog",       "horse", "ship", "truck"};
  }
  return data;
}

}  // namespace lrid

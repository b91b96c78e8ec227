// CIFAR-10 binary reader: record layout (label byte, then R, G, B planes),
// class names from batches.meta.txt, and DataErrors for malformed folders.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "images/datasets.h"
#include "core/errors.h"
#include "image_checks.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

// The fixture's pixel value of global example `k`, channel `c`, row `y`, column `x`.
uint8_t pixel(int k, int c, int y, int x) { return static_cast<uint8_t>(k * 7 + c * 80 + y + 3 * x); }

// Writes `count` records starting at global example `first`; labels are (first + i) % 10.
void write_batch(const fs::path& path, int first, int count, int bad_label = -1) {
  std::vector<uint8_t> bytes;
  for (int k = first; k < first + count; ++k) {
    bytes.push_back(static_cast<uint8_t>(bad_label >= 0 ? bad_label : k % 10));
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) bytes.push_back(pixel(k, c, y, x));
  }
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Train batches of 2 records each (examples 0..9), test batch of 3 (examples 10..12).
void write_cifar10(const fs::path& dir) {
  for (int b = 1; b <= 5; ++b) {
    write_batch(dir / ("data_batch_" + std::to_string(b) + ".bin"), 2 * (b - 1), 2);
  }
  write_batch(dir / "test_batch.bin", 10, 3);
}

torch::Tensor expected_image(int k) {
  torch::Tensor img = torch::empty({3, 32, 32}, torch::kUInt8);
  auto a = img.accessor<uint8_t, 3>();
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) a[c][y][x] = pixel(k, c, y, x);
  return img;
}

TEST(Cifar10, LoadsRecordsWithRedPlaneFirst) {
  test::TempDir dir;
  write_cifar10(dir.path());
  ImageData data = load_cifar10(dir.str());
  image_checks::expect_layout(data, {"cifar10", "airplane", "truck", 10, 3, 3, 32, 32});
  if (HasFatalFailure()) return;
  EXPECT_TRUE(torch::equal(data.train->labels(), torch::arange(10, torch::kInt64)));
  EXPECT_TRUE(torch::equal(data.test->labels(), torch::tensor({0, 1, 2}, torch::kInt64)));
  torch::Tensor imgs = data.train->images({0, 5, 9});
  EXPECT_EQ(imgs.sizes(), (std::vector<int64_t>{3, 3, 32, 32}));
  EXPECT_TRUE(torch::equal(imgs[0], expected_image(0)));
  EXPECT_TRUE(torch::equal(imgs[1], expected_image(5)));
  EXPECT_TRUE(torch::equal(imgs[2], expected_image(9)));
  // Spot checks of the plane order: channel 0 is the first 1024 bytes (red).
  EXPECT_EQ(imgs[1][0][0][0].item<int>(), pixel(5, 0, 0, 0));
  EXPECT_EQ(imgs[1][2][31][1].item<int>(), pixel(5, 2, 31, 1));
  EXPECT_TRUE(torch::equal(data.test->images({2})[0], expected_image(12)));
}

TEST(Cifar10, ReadsClassNamesFromMeta) {
  test::TempDir dir;
  write_cifar10(dir.path());
  std::ofstream meta(dir.path() / "batches.meta.txt");
  for (int c = 0; c < 10; ++c) meta << "name" << c << "\n";
  meta << "\n\n";
  meta.close();
  ImageData data = load_cifar10(dir.str());
  ASSERT_EQ(data.class_names.size(), 10u);
  EXPECT_EQ(data.class_names[3], "name3");
}

TEST(Cifar10, SizeNotMultipleOfRecordIsDataError) {
  test::TempDir dir;
  write_cifar10(dir.path());
  const fs::path bad = dir.path() / "data_batch_3.bin";
  fs::resize_file(bad, 2 * 3073 - 1);
  test::expect_error<DataError>([&] { load_cifar10(dir.str()); }, bad.string());
}

TEST(Cifar10, LabelOutOfRangeIsDataError) {
  test::TempDir dir;
  write_cifar10(dir.path());
  const fs::path bad = dir.path() / "test_batch.bin";
  write_batch(bad, 10, 3, 10);
  test::expect_error<DataError>([&] { load_cifar10(dir.str()); }, bad.string());
}

TEST(Cifar10, MissingBatchIsDataError) {
  test::TempDir dir;
  write_cifar10(dir.path());
  image_checks::expect_missing_files_named(dir, "data_batch_5.bin", load_cifar10);
}

TEST(Cifar10, WrongMetaIsDataError) {
  test::TempDir dir;
  write_cifar10(dir.path());
  const fs::path meta = dir.path() / "batches.meta.txt";
  std::ofstream(meta) << "cat\ndog\n";
  test::expect_error<DataError>([&] { load_cifar10(dir.str()); }, meta.string());
}

}  // namespace
}  // namespace lrid

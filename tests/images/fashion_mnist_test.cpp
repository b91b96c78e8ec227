// Fashion-MNIST IDX reader: exact loads of small plain and gzipped fixtures,
// one clear DataError per malformed file, and the installed dataset if present.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
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

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

std::vector<uint8_t> idx_images(uint32_t n, uint32_t rows, uint32_t cols, uint8_t base,
                                uint32_t magic = 2051) {
  std::vector<uint8_t> out;
  put_u32(out, magic);
  put_u32(out, n);
  put_u32(out, rows);
  put_u32(out, cols);
  for (uint32_t i = 0; i < n * rows * cols; ++i) out.push_back(static_cast<uint8_t>(base + i));
  return out;
}

std::vector<uint8_t> idx_labels(const std::vector<uint8_t>& labels, uint32_t magic = 2049) {
  std::vector<uint8_t> out;
  put_u32(out, magic);
  put_u32(out, static_cast<uint32_t>(labels.size()));
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

void write_file(const fs::path& path, const std::vector<uint8_t>& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.string().c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
    ASSERT_EQ(gzclose(f), Z_OK);
  } else {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
}

// Train: 3 images of 4x5 with labels {0, 9, 4}; test: 2 images with labels {7, 1}.
void write_fashion_mnist(const fs::path& dir, bool gzip) {
  const std::string ext = gzip ? ".gz" : "";
  write_file(dir / ("train-images-idx3-ubyte" + ext), idx_images(3, 4, 5, 10), gzip);
  write_file(dir / ("train-labels-idx1-ubyte" + ext), idx_labels({0, 9, 4}), gzip);
  write_file(dir / ("t10k-images-idx3-ubyte" + ext), idx_images(2, 4, 5, 100), gzip);
  write_file(dir / ("t10k-labels-idx1-ubyte" + ext), idx_labels({7, 1}), gzip);
}

void expect_fixture(const ImageData& data) {
  image_checks::expect_layout(data, {"fashion_mnist", "T-shirt/top", "Ankle boot", 3, 2, 1, 4, 5});
  if (::testing::Test::HasFatalFailure()) return;
  EXPECT_TRUE(torch::equal(data.train->labels(), torch::tensor({0, 9, 4}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(data.test->labels(), torch::tensor({7, 1}, torch::kInt64)));
  // Pixel (i, r, c) of the train file holds 10 + i*20 + r*5 + c (row-major).
  torch::Tensor expected =
      (torch::arange(60, torch::kInt64) + 10).to(torch::kUInt8).view({3, 1, 4, 5});
  torch::Tensor all = data.train->images({0, 1, 2});
  EXPECT_EQ(all.scalar_type(), torch::kUInt8);
  EXPECT_TRUE(torch::equal(all, expected));
  EXPECT_TRUE(torch::equal(data.train->images({2, 0}),
                           torch::stack({expected[2], expected[0]})));
  torch::Tensor test_expected =
      (torch::arange(40, torch::kInt64) + 100).to(torch::kUInt8).view({2, 1, 4, 5});
  EXPECT_TRUE(torch::equal(data.test->images({0, 1}), test_expected));
}

TEST(FashionMnist, LoadsPlainFixtureExactly) {
  test::TempDir dir;
  write_fashion_mnist(dir.path(), false);
  expect_fixture(load_fashion_mnist(dir.str()));
}

TEST(FashionMnist, LoadsGzippedFixtureExactly) {
  test::TempDir dir;
  write_fashion_mnist(dir.path(), true);
  expect_fixture(load_fashion_mnist(dir.str()));
}

// Writes the plain fixture, replaces `file` by `bytes` and expects a DataError naming it.
void expect_bad_file_named(const std::string& file, const std::vector<uint8_t>& bytes) {
  test::TempDir dir;
  write_fashion_mnist(dir.path(), false);
  const fs::path bad = dir.path() / file;
  write_file(bad, bytes, false);
  test::expect_error<DataError>([&] { load_fashion_mnist(dir.str()); }, bad.string());
}

TEST(FashionMnist, WrongMagicIsDataError) {
  expect_bad_file_named("train-images-idx3-ubyte", idx_images(3, 4, 5, 10, 2049));
}

TEST(FashionMnist, TruncatedPayloadIsDataError) {
  test::TempDir dir;
  write_fashion_mnist(dir.path(), true);
  const fs::path bad = dir.path() / "t10k-images-idx3-ubyte.gz";
  std::vector<uint8_t> bytes = idx_images(2, 4, 5, 100);
  bytes.resize(bytes.size() - 7);
  write_file(bad, bytes, true);
  test::expect_error<DataError>([&] { load_fashion_mnist(dir.str()); }, bad.string());
}

TEST(FashionMnist, TruncatedGzipStreamIsDataError) {
  test::TempDir dir;
  write_fashion_mnist(dir.path(), true);
  const fs::path bad = dir.path() / "train-labels-idx1-ubyte.gz";
  const auto full = fs::file_size(bad);
  fs::resize_file(bad, full - 6);  // cuts the gzip trailer (CRC and length)
  test::expect_error<DataError>([&] { load_fashion_mnist(dir.str()); }, bad.string());
}

TEST(FashionMnist, LabelCountMismatchIsDataError) {
  expect_bad_file_named("train-labels-idx1-ubyte", idx_labels({0, 1}));
}

TEST(FashionMnist, LabelOutOfRangeIsDataError) {
  expect_bad_file_named("t10k-labels-idx1-ubyte", idx_labels({7, 10}));
}

TEST(FashionMnist, MissingFileIsDataError) {
  test::TempDir dir;
  write_fashion_mnist(dir.path(), false);
  image_checks::expect_missing_files_named(dir, "t10k-labels-idx1-ubyte", load_fashion_mnist);
}

TEST(FashionMnist, InstalledDataset) {
  const std::string root = "/usr/share/datasets/fashion-mnist";
  if (!fs::is_directory(root)) GTEST_SKIP() << root << " is not installed";
  ImageData data = load_fashion_mnist(root);
  ASSERT_EQ(data.train->size(), 60000);
  ASSERT_EQ(data.test->size(), 10000);
  EXPECT_EQ(data.train->channels(), 1);
  EXPECT_EQ(data.train->height(), 28);
  EXPECT_EQ(data.train->width(), 28);
  EXPECT_EQ(data.test->height(), 28);
  EXPECT_GE(data.train->labels().min().item<int64_t>(), 0);
  EXPECT_LE(data.train->labels().max().item<int64_t>(), 9);
  EXPECT_GE(data.test->labels().min().item<int64_t>(), 0);
  EXPECT_LE(data.test->labels().max().item<int64_t>(), 9);
  EXPECT_TRUE(torch::equal(torch::bincount(data.train->labels()),
                           torch::full({10}, 6000, torch::kInt64)));
  torch::Tensor first = data.train->images({0, 59999});
  EXPECT_EQ(first.sizes(), (std::vector<int64_t>{2, 1, 28, 28}));
  EXPECT_GT(first.max().item<int64_t>(), 0);  // not an all-black decode
}

}  // namespace
}  // namespace lrid

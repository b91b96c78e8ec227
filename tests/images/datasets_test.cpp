// The shared dataset pieces (images/datasets.h): the in-memory split (its
// checks, the labels as int64, images by index in the order asked), the prefix
// view of limit_split, read_bytes and the uint8 image check.
#include "images/datasets.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/files.h"
#include "test_util.h"

namespace lrid {
namespace {

// Five 1x2x3 images whose pixels hold 10 * index + position; labels 4, 3, 2, 1, 0.
std::shared_ptr<DataSplit> five_image_split() {
  torch::Tensor images = torch::zeros({5, 1, 2, 3}, torch::kUInt8);
  for (int64_t i = 0; i < 5; ++i) images[i] = (torch::arange(6) + 10 * i).to(torch::kUInt8).view({1, 2, 3});
  return make_memory_split(images, torch::tensor({4, 3, 2, 1, 0}, torch::kInt32));
}

TEST(MemorySplit, ShapesLabelsAndImagesByIndex) {
  auto s = five_image_split();
  EXPECT_EQ(s->size(), 5);
  EXPECT_EQ(s->channels(), 1);
  EXPECT_EQ(s->height(), 2);
  EXPECT_EQ(s->width(), 3);
  EXPECT_EQ(s->labels().scalar_type(), torch::kInt64);  // int32 labels are converted
  EXPECT_TRUE(torch::equal(s->labels(), torch::tensor({4, 3, 2, 1, 0}, torch::kInt64)));
  torch::Tensor got = s->images({3, 0, 3});
  EXPECT_EQ(got.sizes(), (std::vector<int64_t>{3, 1, 2, 3}));
  EXPECT_EQ(got.scalar_type(), torch::kUInt8);
  EXPECT_EQ(got[0][0][1][2].item<int>(), 35);
  EXPECT_EQ(got[1][0][0][0].item<int>(), 0);
  EXPECT_TRUE(torch::equal(got[0], got[2]));
  EXPECT_EQ(s->images({}).size(0), 0);
  EXPECT_THROW(s->images({5}), std::out_of_range);  // a loader bug, not bad data
  EXPECT_THROW(s->images({-1}), std::out_of_range);
}

TEST(MemorySplit, KeepsItsOwnContiguousCopy) {
  // A non-contiguous view (channels last, permuted) is stored contiguously and
  // later writes to the caller's tensor do not reach the split.
  torch::Tensor nhwc = torch::arange(2 * 2 * 2 * 3, torch::kInt64).to(torch::kUInt8).view({2, 2, 2, 3});
  torch::Tensor nchw = nhwc.permute({0, 3, 1, 2});
  auto s = make_memory_split(nchw, torch::tensor({0, 1}));
  torch::Tensor before = s->images({1}).clone();
  EXPECT_TRUE(torch::equal(before[0], nchw[1]));
  nhwc.zero_();
  EXPECT_TRUE(torch::equal(s->images({1}), before));
}

TEST(MemorySplit, RejectsWhatIsNotUint8ImagesWithMatchingLabels) {
  const auto labels = torch::tensor({0, 1});
  test::expect_error<DataError>([&] { make_memory_split(torch::zeros({2, 1, 3, 3}), labels); },
                                "images must be uint8 [N, C, H, W], got [2, 1, 3, 3] Float");
  test::expect_error<DataError>([&] { make_memory_split(torch::zeros({2, 3, 3}, torch::kUInt8), labels); },
                                "got [2, 3, 3] Byte");
  test::expect_error<DataError>([&] { make_memory_split(torch::Tensor(), labels); }, "got [] undefined");
  test::expect_error<DataError>([&] { make_memory_split(torch::zeros({3, 1, 2, 2}, torch::kUInt8), labels); },
                                "labels must be [N] with N = 3 images, got [2]");
  test::expect_error<DataError>(
      [&] { make_memory_split(torch::zeros({2, 1, 2, 2}, torch::kUInt8), torch::zeros({2, 1})); }, "got [2, 1]");
  test::expect_error<DataError>([&] { make_memory_split(torch::zeros({2, 1, 2, 2}, torch::kUInt8), torch::Tensor()); },
                                "labels must be [N]");
  test::expect_error<DataError>(
      [&] { make_memory_split(torch::zeros({2, 1, 0, 2}, torch::kUInt8), labels); },
      "every image dimension must be >= 1, got [2, 1, 0, 2]");
  test::expect_error<DataError>(
      [&] { make_memory_split(torch::zeros({0, 1, 2, 2}, torch::kUInt8), torch::zeros({0}, torch::kInt64)); },
      "every image dimension must be >= 1");
}

TEST(Uint8ImagesProblem, EmptyOnlyForUint8FourDimensional) {
  EXPECT_EQ(uint8_images_problem(torch::zeros({1, 1, 1, 1}, torch::kUInt8)), "");
  EXPECT_EQ(uint8_images_problem(torch::zeros({1, 1, 1, 1}, torch::kInt8)), "got [1, 1, 1, 1] Char");
  EXPECT_EQ(uint8_images_problem(torch::zeros({4}, torch::kUInt8)), "got [4] Byte");
  EXPECT_EQ(uint8_images_problem(torch::Tensor()), "got [] undefined");
}

TEST(LimitSplit, APrefixViewOfTheSplit) {
  auto base = five_image_split();
  EXPECT_EQ(limit_split(base, 0), base);  // 0 (and negatives, and >= size) keep everything
  EXPECT_EQ(limit_split(base, -3), base);
  EXPECT_EQ(limit_split(base, 5), base);
  EXPECT_EQ(limit_split(base, 9), base);
  auto two = limit_split(base, 2);
  EXPECT_EQ(two->size(), 2);
  EXPECT_EQ(two->channels(), 1);
  EXPECT_EQ(two->height(), 2);
  EXPECT_EQ(two->width(), 3);
  EXPECT_TRUE(torch::equal(two->labels(), torch::tensor({4, 3}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(two->images({1, 0}), base->images({1, 0})));
  EXPECT_THROW(two->images({2}), std::out_of_range);  // checked against the prefix, not the base
  EXPECT_EQ(limit_split(two, 1)->size(), 1);
  test::expect_error<ConfigError>([] { limit_split(nullptr, 3); }, "the split is null");
}

TEST(ReadBytes, WholeFileOrADataErrorNamingIt) {
  test::TempDir dir;
  const std::string bytes("\x00\x01\xfe\xff\n", 5);
  write_file_atomic(dir.path() / "batch.bin", bytes);
  const auto got = read_bytes((dir.path() / "batch.bin").string());
  EXPECT_EQ(std::string(got.begin(), got.end()), bytes);
  write_file_atomic(dir.path() / "empty.bin", "");
  EXPECT_TRUE(read_bytes((dir.path() / "empty.bin").string()).empty());
  const std::string missing = (dir.path() / "test_batch.bin").string();
  test::expect_error<DataError>([&] { read_bytes(missing, "CIFAR-10 batch"); },
                                missing + ": cannot open CIFAR-10 batch");
  test::expect_error<DataError>([&] { read_bytes(missing); }, "cannot open file");
}

}  // namespace
}  // namespace lrid

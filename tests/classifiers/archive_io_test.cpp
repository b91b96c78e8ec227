// LibTorch archive helpers: named tensors, dtype checks naming the key, text
// values, seeds kept bit for bit, atomic archive files.
#include "classifiers/archive_io.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "classifiers/archive_round_trip.h"
#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

TEST(ArchiveIo, TensorsComeBackUnderTheirKeys) {
  torch::serialize::OutputArchive out;
  write_tensors(out, {{"a", torch::tensor({1.5, -2.0}, torch::kFloat64)}, {"b", torch::tensor({7}, torch::kInt32)}});
  out.write("name", c10::IValue(std::string("forest")));
  torch::serialize::InputArchive in = test::reopened_archive(out);
  EXPECT_TRUE(read_tensor(in, "a").equal(torch::tensor({1.5, -2.0}, torch::kFloat64)));
  EXPECT_EQ(read_tensor(in, "b", torch::kInt32, "demo load").item<int32_t>(), 7);
  EXPECT_EQ(read_text(in, "name"), "forest");
  test::expect_error<IoError>([&] { read_tensor(in, "b", torch::kInt64, "demo load"); },
                              "demo load: b has the wrong dtype");
  EXPECT_THROW(read_tensor(in, "missing"), c10::Error);
}

TEST(ArchiveIo, SeedsKeepEveryBit) {
  for (uint64_t seed : {uint64_t{0}, uint64_t{1}, ~uint64_t{0}, (uint64_t{1} << 63) + 5}) {
    EXPECT_EQ(seed_from_bits(seed_to_bits(seed)), seed);
  }
  EXPECT_EQ(seed_to_bits(~uint64_t{0}), -1);
}

TEST(ArchiveIo, SaveArchiveWritesAFileOrNamesThePath) {
  test::TempDir dir;
  torch::serialize::OutputArchive out;
  write_tensors(out, {{"x", torch::arange(4)}});
  const std::string path = (dir.path() / "a.pt").string();
  save_archive(out, path);
  torch::serialize::InputArchive in;
  in.load_from(path);
  EXPECT_TRUE(read_tensor(in, "x").equal(torch::arange(4)));
  const std::string bad = (dir.path() / "no" / "such" / "dir" / "a.pt").string();
  test::expect_error<IoError>([&] { save_archive(out, bad); }, "a.pt");
}

}  // namespace
}  // namespace lrid

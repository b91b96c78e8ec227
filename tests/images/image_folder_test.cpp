// ImageNet-style JPEG folders: class discovery, labels, decoding (colour,
// greyscale replication, resize + centre crop) and DataErrors for bad folders
// and undecodable files. Fixtures are encoded here with libjpeg.
#include <gtest/gtest.h>
#include <jpeglib.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "images/datasets.h"
#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

using Rgb = std::array<uint8_t, 3>;

// Encodes a width x height JPEG (quality 95) with `components` channels in
// `space`; fill_row(y, row) writes row y's samples.
void encode_jpeg(const fs::path& path, int width, int height, int components, J_COLOR_SPACE space,
                 const std::function<void(int, std::vector<uint8_t>&)>& fill_row) {
  fs::create_directories(path.parent_path());
  FILE* file = std::fopen(path.string().c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  jpeg_stdio_dest(&cinfo, file);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = components;
  cinfo.in_color_space = space;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 95, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<uint8_t> row(static_cast<size_t>(width) * static_cast<size_t>(components));
  for (int y = 0; y < height; ++y) {
    fill_row(y, row);
    JSAMPROW ptr = row.data();
    jpeg_write_scanlines(&cinfo, &ptr, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(file);
}

// Greyscale files use channel 0 of `colour`.
void write_jpeg(const fs::path& path, int width, int height, bool grey,
                const std::function<Rgb(int, int)>& colour) {
  const int components = grey ? 1 : 3;
  encode_jpeg(path, width, height, components, grey ? JCS_GRAYSCALE : JCS_RGB,
              [&](int y, std::vector<uint8_t>& row) {
                for (int x = 0; x < width; ++x) {
                  const Rgb c = colour(x, y);
                  for (int k = 0; k < components; ++k)
                    row[static_cast<size_t>(components * x + k)] = c[static_cast<size_t>(k)];
                }
              });
}

// A solid w x h CMYK JPEG; libjpeg writes an Adobe marker, so readers treat the
// stored values as inverted (Photoshop convention: 255 means no ink).
void write_cmyk_jpeg(const fs::path& path, int width, int height, std::array<uint8_t, 4> value) {
  encode_jpeg(path, width, height, 4, JCS_CMYK, [&](int, std::vector<uint8_t>& row) {
    for (int x = 0; x < width; ++x)
      std::copy(value.begin(), value.end(), row.begin() + 4 * static_cast<std::ptrdiff_t>(x));
  });
}

auto solid(Rgb c) {
  return [c](int, int) { return c; };
}

// train: cat {red 40x30, blue 30x40}, dog {grey gradient 36x36}, zebra {R|G|B bands
// 90x30, small green 10x12}; val: cat {red}, zebra {bands}. Plus a non-JPEG file.
void write_image_folder(const fs::path& root) {
  write_jpeg(root / "train/cat/a.jpg", 40, 30, false, solid({255, 0, 0}));
  write_jpeg(root / "train/cat/b.JPEG", 30, 40, false, solid({0, 0, 255}));
  write_jpeg(root / "train/dog/a.jpeg", 36, 36, true,
             [](int x, int y) { return Rgb{static_cast<uint8_t>(5 * x + 2 * y), 0, 0}; });
  std::ofstream(root / "train/dog/notes.txt") << "not an image\n";
  auto bands = [](int x, int) {
    return x < 30 ? Rgb{255, 0, 0} : x < 60 ? Rgb{0, 255, 0} : Rgb{0, 0, 255};
  };
  write_jpeg(root / "train/zebra/a.jpg", 90, 30, false, bands);
  write_jpeg(root / "train/zebra/b.jpg", 10, 12, false, solid({0, 255, 0}));
  write_jpeg(root / "val/cat/v.jpg", 50, 50, false, solid({255, 0, 0}));
  write_jpeg(root / "val/zebra/v.jpg", 90, 30, false, bands);
}

// Per-channel mean of image [3, S, S] as doubles.
std::vector<double> mean_colour(const torch::Tensor& img) {
  torch::Tensor m = img.to(torch::kFloat64).mean({1, 2});
  return {m[0].item<double>(), m[1].item<double>(), m[2].item<double>()};
}

void expect_colour(const torch::Tensor& img, double r, double g, double b, double margin) {
  std::vector<double> m = mean_colour(img);
  EXPECT_NEAR(m[0], r, margin);
  EXPECT_NEAR(m[1], g, margin);
  EXPECT_NEAR(m[2], b, margin);
}

TEST(ImageFolder, ClassesAndLabels) {
  test::TempDir dir;
  write_image_folder(dir.path());
  ImageData data = load_image_folder(dir.str(), 16);
  EXPECT_EQ(data.num_classes, 3);
  EXPECT_EQ(data.class_names, (std::vector<std::string>{"cat", "dog", "zebra"}));
  ASSERT_EQ(data.train->size(), 5);
  ASSERT_EQ(data.test->size(), 2);
  EXPECT_TRUE(torch::equal(data.train->labels(), torch::tensor({0, 0, 1, 2, 2}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(data.test->labels(), torch::tensor({0, 2}, torch::kInt64)));
  EXPECT_EQ(data.train->channels(), 3);
  EXPECT_EQ(data.train->height(), 16);
  EXPECT_EQ(data.train->width(), 16);
}

TEST(ImageFolder, DecodesResizesAndCrops) {
  test::TempDir dir;
  write_image_folder(dir.path());
  ImageData data = load_image_folder(dir.str(), 16);
  torch::Tensor imgs = data.train->images({0, 1, 2, 3, 4});
  ASSERT_EQ(imgs.sizes(), (std::vector<int64_t>{5, 3, 16, 16}));
  EXPECT_EQ(imgs.scalar_type(), torch::kUInt8);
  expect_colour(imgs[0], 255, 0, 0, 12);  // JPEG is lossy: a margin
  expect_colour(imgs[1], 0, 0, 255, 12);
  expect_colour(imgs[4], 0, 255, 0, 12);  // 10x12 upsampled to 16x16
  // Greyscale is replicated into three identical channels, and not flat.
  EXPECT_TRUE(torch::equal(imgs[2][0], imgs[2][1]));
  EXPECT_TRUE(torch::equal(imgs[2][0], imgs[2][2]));
  EXPECT_GT(imgs[2][0].to(torch::kFloat32).std().item<double>(), 10.0);
  // Bands R|G|B: the centre crop of the 48x16 resize is the green band.
  torch::Tensor centre = imgs[3].slice(2, 4, 12);
  expect_colour(centre, 0, 255, 0, 25);
  // Same request again (and in another order) decodes identically.
  EXPECT_TRUE(torch::equal(data.train->images({3, 0})[0], imgs[3]));
  expect_colour(data.test->images({0})[0], 255, 0, 0, 12);
}

TEST(ImageFolder, ConvertsCmykToRgb) {
  test::TempDir dir;
  write_image_folder(dir.path());
  // Inverted CMYK (255, 0, 0, 255): no cyan ink, full magenta and yellow, no black = red.
  write_cmyk_jpeg(dir.path() / "train/cat/c_cmyk.jpg", 20, 20, {255, 0, 0, 255});
  ImageData data = load_image_folder(dir.str(), 16);
  ASSERT_EQ(data.train->size(), 6);
  // Sorted order: cat/a, cat/b.JPEG, cat/c_cmyk.
  expect_colour(data.train->images({2})[0], 255, 0, 0, 12);
}

TEST(ImageFolder, CorruptJpegIsDataErrorNamingFile) {
  test::TempDir dir;
  write_image_folder(dir.path());
  const fs::path garbage = dir.path() / "train/dog/z_garbage.jpg";
  std::ofstream(garbage, std::ios::binary) << "this is not a JPEG file at all";
  // A real JPEG cut inside its header: no image data at all.
  const fs::path cut = dir.path() / "train/zebra/c_cut.jpg";
  fs::copy_file(dir.path() / "train/zebra/a.jpg", cut);
  fs::resize_file(cut, 20);
  ImageData data = load_image_folder(dir.str(), 16);  // lazy: listing succeeds
  ASSERT_EQ(data.train->size(), 7);
  // Sorted order: cat/a, cat/b, dog/a, dog/z_garbage, zebra/a, zebra/b, zebra/c_cut.
  test::expect_error<DataError>([&] { data.train->images({0, 3}); }, garbage.string());
  test::expect_error<DataError>([&] { data.train->images({6}); }, cut.string());
  EXPECT_EQ(data.train->images({0, 1}).size(0), 2);  // the good files still decode
}

TEST(ImageFolder, MissingRootIsDataError) {
  test::TempDir dir;
  const std::string root = (dir.path() / "absent").string();
  test::expect_error<DataError>([&] { load_image_folder(root, 16); }, root);
  write_image_folder(dir.path());
  fs::remove_all(dir.path() / "val");
  test::expect_error<DataError>([&] { load_image_folder(dir.str(), 16); }, (dir.path() / "val").string());
}

TEST(ImageFolder, EmptyClassFolderIsDataError) {
  test::TempDir dir;
  write_image_folder(dir.path());
  const fs::path empty = dir.path() / "train/empty";
  fs::create_directories(empty);
  test::expect_error<DataError>([&] { load_image_folder(dir.str(), 16); }, empty.string());
}

TEST(ImageFolder, ValClassNotInTrainIsDataError) {
  test::TempDir dir;
  write_image_folder(dir.path());
  const fs::path stray = dir.path() / "val/horse";
  write_jpeg(stray / "h.jpg", 8, 8, false, solid({1, 2, 3}));
  test::expect_error<DataError>([&] { load_image_folder(dir.str(), 16); }, stray.string());
}

TEST(ImageFolder, BadDecodeSizeIsConfigError) {
  test::TempDir dir;
  write_image_folder(dir.path());
  EXPECT_THROW(load_image_folder(dir.str(), 0), ConfigError);
}

}  // namespace
}  // namespace lrid

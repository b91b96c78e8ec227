// SimCLR views: crop sampling, bicubic resized crop, colour ops (hue against
// Python's colorsys, tests/golden/simclr.json), blur, and whole views through
// the batch loader (two views per image, deterministic per batch).
#include "images/contrastive_views.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <cmath>

#include "images/data_loader.h"
#include "images/datasets.h"
#include "test_paths.h"

namespace lrid {
namespace {

torch::Tensor rand_images(int64_t n, int64_t c, int64_t h, int64_t w, uint64_t seed = 3) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::rand({n, c, h, w}, gen);
}

TEST(SampleCrop, FollowsTorchvisionArithmetic) {
  // Area fraction 0.08 + 0.92 * 0.5 = 0.54 of 20 x 30, ratio exp(mid) = 1:
  // w = h = round(sqrt(324)) = 18; top = floor(0.25 * 3) = 0, left = floor(0.75 * 13) = 9.
  std::vector<double> u = {0.5, 0.5, 0.25, 0.75};
  CropBox b = sample_crop(20, 30, 0.08, u.data(), 1);
  EXPECT_EQ(b.height, 18);
  EXPECT_EQ(b.width, 18);
  EXPECT_EQ(b.top, 0);
  EXPECT_EQ(b.left, 9);
  // Whole area at ratio 4/3 cannot fit a square image: every attempt fails, the whole image is used.
  std::vector<double> v(40, 1.0);
  CropBox w = sample_crop(16, 16, 0.08, v.data(), 10);
  EXPECT_EQ(w.top, 0);
  EXPECT_EQ(w.left, 0);
  EXPECT_EQ(w.height, 16);
  EXPECT_EQ(w.width, 16);
  // u = 1 for the offsets never leaves the image.
  std::vector<double> e = {0.0, 0.5, 1.0, 1.0};
  CropBox c = sample_crop(20, 20, 0.25, e.data(), 1);
  EXPECT_LE(c.top + c.height, 20);
  EXPECT_LE(c.left + c.width, 20);
}

TEST(ResizedCrop, WholeBoxIsIdentityAndFlipMirrors) {
  torch::Tensor x = rand_images(2, 3, 9, 9);
  std::vector<CropBox> whole(2, CropBox{0, 0, 9, 9});
  torch::Tensor same = resized_crop(x, whole, {false, false}, 9);
  EXPECT_TRUE(torch::allclose(same, x, 1e-5, 1e-5));
  torch::Tensor flipped = resized_crop(x, whole, {true, false}, 9);
  EXPECT_TRUE(torch::allclose(flipped[0], x[0].flip({2}), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(flipped[1], x[1], 1e-5, 1e-5));
}

TEST(ResizedCrop, IntegerBoxAtItsOwnSizeIsTheCrop) {
  torch::Tensor x = rand_images(1, 1, 12, 10);
  torch::Tensor out = resized_crop(x, {CropBox{2, 3, 6, 6}}, {false}, 6);
  EXPECT_TRUE(torch::allclose(out[0], x[0].slice(1, 2, 8).slice(2, 3, 9), 1e-5, 1e-5));
}

TEST(ColourOps, BrightnessContrastSaturationGreyscaleByHand) {
  torch::Tensor x = torch::tensor({0.2f, 0.4f, 0.6f, 0.8f, 0.1f, 0.3f, 0.5f, 0.9f, 0.0f, 1.0f, 0.25f, 0.75f})
                        .view({1, 3, 2, 2});
  torch::Tensor f = torch::tensor({1.5f});
  EXPECT_TRUE(torch::allclose(adjust_brightness(x, f), (x * 1.5).clamp(0, 1)));
  const torch::Tensor luma = 0.299 * x[0][0] + 0.587 * x[0][1] + 0.114 * x[0][2];  // [2, 2]
  // Contrast 0: every pixel becomes the mean luma; contrast 1: unchanged.
  torch::Tensor c0 = adjust_contrast(x, torch::tensor({0.0f}));
  EXPECT_TRUE(torch::allclose(c0, torch::full_like(x, luma.mean().item<float>()), 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(adjust_contrast(x, torch::tensor({1.0f})), x, 1e-6, 1e-6));
  // Saturation 0 and greyscale: the luma in every channel.
  EXPECT_TRUE(torch::allclose(adjust_saturation(x, torch::tensor({0.0f}))[0][1], luma, 1e-6, 1e-6));
  torch::Tensor g = to_grayscale(x);
  for (int c = 0; c < 3; ++c) EXPECT_TRUE(torch::allclose(g[0][c], luma, 1e-6, 1e-6));
  // Grey images: saturation, hue and greyscale are identities.
  torch::Tensor one = x.slice(1, 0, 1);
  EXPECT_TRUE(torch::equal(adjust_saturation(one, torch::tensor({0.0f})), one));
  EXPECT_TRUE(torch::equal(adjust_hue(one, torch::tensor({0.3f})), one));
}

TEST(ColourOps, HueShiftMatchesColorsys) {
  YAML::Node g = YAML::LoadFile(std::string(LRID_SOURCE_DIR) + "/tests/golden/simclr.json")["hue"];
  ASSERT_GT(g.size(), 0u);
  for (const auto& c : g) {
    auto rgb = c["rgb"].as<std::vector<double>>();
    auto want = c["out"].as<std::vector<double>>();
    torch::Tensor x = torch::tensor(rgb, torch::kFloat64).view({1, 3, 1, 1});
    torch::Tensor y = adjust_hue(x, torch::tensor({c["shift"].as<double>()}, torch::kFloat64));
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(y[0][k][0][0].item<double>(), want[static_cast<std::size_t>(k)], 1e-9);
  }
  // A shift of 0 is the identity; pure red shifted by 1/3 turn is pure green.
  torch::Tensor x = rand_images(2, 3, 4, 4);
  EXPECT_TRUE(torch::allclose(adjust_hue(x, torch::zeros({2})), x, 1e-5, 1e-5));
  torch::Tensor red = torch::tensor({1.0f, 0.0f, 0.0f}).view({1, 3, 1, 1});
  torch::Tensor green = adjust_hue(red, torch::tensor({1.0f / 3.0f}));
  EXPECT_TRUE(torch::allclose(green.flatten(), torch::tensor({0.0f, 1.0f, 0.0f}), 1e-5, 1e-5));
}

TEST(GaussianBlur, KernelSizeConstantImageAndImpulse) {
  EXPECT_EQ(blur_kernel_size(8), 1);
  EXPECT_EQ(blur_kernel_size(28), 3);
  EXPECT_EQ(blur_kernel_size(32), 3);
  EXPECT_EQ(blur_kernel_size(224), 23);
  // Normalised kernel: a constant image stays constant (reflect padding).
  torch::Tensor k = torch::full({2, 3, 7, 7}, 0.4, torch::kFloat64);
  EXPECT_TRUE(torch::allclose(gaussian_blur(k, torch::tensor({0.5, 2.0}), 5), k, 1e-12, 1e-12));
  // An impulse away from the border gives the outer product of the 1-D weights.
  torch::Tensor imp = torch::zeros({1, 1, 9, 9}, torch::kFloat64);
  imp[0][0][4][4] = 1.0;
  const double sigma = 0.8;
  torch::Tensor y = gaussian_blur(imp, torch::tensor({sigma}, torch::kFloat64), 5);
  double w[5], sum = 0;
  for (int i = 0; i < 5; ++i) sum += w[i] = std::exp(-(i - 2.0) * (i - 2.0) / (2 * sigma * sigma));
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j)
      EXPECT_NEAR(y[0][0][2 + i][2 + j].item<double>(), w[i] * w[j] / (sum * sum), 1e-12);
  EXPECT_NEAR(y.sum().item<double>(), 1.0, 1e-12);
}

TEST(ContrastiveView, ShapeRangeAndDeterminism) {
  torch::Tensor x = rand_images(6, 3, 20, 20);
  ViewOptions o;
  o.enabled = true;
  auto g1 = at::make_generator<at::CPUGeneratorImpl>(7), g2 = at::make_generator<at::CPUGeneratorImpl>(7);
  torch::Tensor a = contrastive_view(x, 16, o, g1), b = contrastive_view(x, 16, o, g2);
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{6, 3, 16, 16}));
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_GE(a.min().item<float>(), 0.0f);
  EXPECT_LE(a.max().item<float>(), 1.0f);
  torch::Tensor c = contrastive_view(x, 16, o, g1);  // the stream moved on: another view
  EXPECT_FALSE(torch::equal(a, c));
  // Everything off but a whole-image crop: the resized image itself.
  ViewOptions off;
  off.enabled = true;
  off.crop_scale_min = 1.0;
  off.hflip = false;
  off.jitter_prob = off.grayscale_prob = off.blur_prob = 0.0;
  torch::Tensor sq = rand_images(2, 1, 12, 12);
  auto g3 = at::make_generator<at::CPUGeneratorImpl>(1);
  torch::Tensor v = contrastive_view(sq, 12, off, g3);
  // Area 1 fits only at ratio 1 (rounding), else the whole image: either way the full box.
  EXPECT_TRUE(torch::allclose(v, sq, 1e-5, 1e-5));
}

TEST(ContrastiveView, LoaderGivesTwoViewsPerImageDeterministically) {
  ImageData d = make_synthetic(3, 3, 16, 24, 8, 0.2, 5);
  AugmentOptions a;
  a.input_size = 12;
  a.views.enabled = true;
  BatchLoader train(d.train, a, 8, true, true, true, 11), eval(d.test, a, 8, false, false, false, 11);
  Batch b = train.batch(0, 1);
  EXPECT_EQ(b.images.sizes(), (std::vector<int64_t>{16, 3, 12, 12}));
  ASSERT_EQ(b.labels.size(0), 16);
  EXPECT_TRUE(torch::equal(b.labels.slice(0, 0, 8), b.labels.slice(0, 8, 16)));
  EXPECT_FALSE(torch::equal(b.images.slice(0, 0, 8), b.images.slice(0, 8, 16)));
  EXPECT_TRUE(torch::equal(b.images, train.batch(0, 1).images));
  EXPECT_FALSE(torch::equal(b.images, train.batch(1, 1).images.slice(0, 0, 16)));
  // Evaluation views are fixed: the same in every epoch.
  EXPECT_TRUE(torch::equal(eval.batch(0, 0).images, eval.batch(3, 0).images));
}

}  // namespace
}  // namespace lrid

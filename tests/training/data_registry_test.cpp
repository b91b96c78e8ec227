// The `data` section (training/data_registry.h): each dataset type's own
// parameters and defaults as DataOptions, mean/std broadcast to the channels
// (a ConfigError for a wrong count), and load_data applying the limits.
#include "training/data_registry.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>

#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

DataOptions data_of(const std::string& type, const std::string& yaml = "") {
  return data_options(type, parse_params(data_registry().schema(type), yaml.empty() ? YAML::Node() : YAML::Load(yaml),
                                         ConfigSource{"data.yaml", {}}, "data.parameters"));
}

TEST(DataRegistry, TypesAndTheirDefaults) {
  EXPECT_EQ(data_registry().names(),
            (std::vector<std::string>{"fashion_mnist", "cifar10", "image_folder", "audio_folder", "synthetic"}));
  const DataOptions f = data_of("fashion_mnist");
  EXPECT_EQ(f.type, "fashion_mnist");
  EXPECT_EQ(f.root, "/usr/share/datasets/fashion-mnist");
  EXPECT_EQ(f.input_size, 28);
  EXPECT_EQ(f.crop_padding, 0);
  EXPECT_FALSE(f.hflip);
  EXPECT_TRUE(f.normalize);
  EXPECT_EQ(f.mean, std::vector<double>{0.2860});
  EXPECT_EQ(f.std, std::vector<double>{0.3530});
  const DataOptions c = data_of("cifar10", "{root: /data/cifar}");
  EXPECT_EQ(c.root, "/data/cifar");
  EXPECT_EQ(c.input_size, 32);
  EXPECT_EQ(c.crop_padding, 4);
  EXPECT_TRUE(c.hflip);
  EXPECT_EQ(c.mean, (std::vector<double>{0.4914, 0.4822, 0.4465}));
  const DataOptions i = data_of("image_folder", "{root: /data/in, decode_size: 256, input_size: 224}");
  EXPECT_EQ(i.decode_size, 256);
  EXPECT_EQ(i.input_size, 224);
  EXPECT_EQ(data_of("image_folder", "{root: r}").decode_size, 0);  // 0: decode at input_size
  test::expect_error<ConfigError>([] { data_of("cifar10"); }, "data.parameters.root': required key is missing");
  test::expect_error<ConfigError>([] { data_of("synthetic", "{root: /x}"); }, "unknown key");
  test::expect_error<ConfigError>([] { data_of("synthetic", "{std: [0.5, 0]}"); }, "element 1");
  test::expect_error<ConfigError>([] { data_of("mnist"); }, "unknown data type 'mnist'");
}

// audio_folder: the audio and cochleagram parameters reach AudioFolderOptions,
// and an input shape left at 0 x 0 becomes the loaded cochleagram's.
TEST(DataRegistry, AudioFolderParametersAndTheCochleagramsOwnInputShape) {
  const DataOptions a = data_of("audio_folder", "{root: /words, duration: 0.5, noise: white, snr_min_db: 5, "
                                                "num_filters: 40, seed: 3, train_limit: 100}");
  EXPECT_EQ(a.audio.duration_s, 0.5);
  EXPECT_EQ(a.audio.noise, "white");
  EXPECT_EQ(a.audio.snr_min_db, 5);
  EXPECT_EQ(a.audio.cochleagram.num_filters, 40);
  EXPECT_EQ(a.audio.cochleagram.sample_rate, 20000);
  EXPECT_EQ(a.audio.seed, 3);
  EXPECT_EQ(a.train_limit, 100);
  EXPECT_FALSE(a.hflip);
  EXPECT_EQ((std::vector<int64_t>{a.input_size, a.input_width}), (std::vector<int64_t>{0, 0}));
  ImageData d;
  d.train = make_memory_split(torch::zeros({2, 1, 40, 100}, torch::kUInt8), torch::zeros({2}, torch::kInt64));
  const DataOptions r = resolve_input_shape(a, d);
  EXPECT_EQ((std::vector<int64_t>{r.input_size, r.input_width}), (std::vector<int64_t>{40, 100}));
  const DataOptions sized = resolve_input_shape(data_of("audio_folder", "{root: /w, input_size: 64}"), d);
  EXPECT_EQ((std::vector<int64_t>{sized.input_size, sized.input_width}), (std::vector<int64_t>{64, 0}));  // square
  test::expect_error<ConfigError>([] { data_of("audio_folder", "{root: /w, noise: pink}"); }, "noise");
  test::expect_error<ConfigError>([] { data_of("audio_folder"); }, "data.parameters.root': required key is missing");
  // A leading ~/ in a root is $HOME.
  const std::string home = std::getenv("HOME") ? std::getenv("HOME") : "";
  if (!home.empty()) EXPECT_EQ(expand_home("~/.cache/lrid/x"), home + "/.cache/lrid/x");
  EXPECT_EQ(expand_home("/data/~x"), "/data/~x");
}

TEST(DataRegistry, SyntheticParametersAndCommonOnes) {
  const DataOptions s = data_of("synthetic",
                                "{num_classes: 3, channels: 2, image_size: 9, train_size: 30, test_size: 12, "
                                "noise: 0.1, seed: 4, input_size: 10, normalize: false, train_limit: 5}");
  const SyntheticOptions& syn = s.synthetic;
  // num_classes, channels, image_size, train_size, test_size, seed
  EXPECT_EQ((std::vector<int64_t>{syn.num_classes, syn.channels, syn.image_size, syn.train_size, syn.test_size,
                                  syn.seed}),
            (std::vector<int64_t>{3, 2, 9, 30, 12, 4}));
  EXPECT_EQ(syn.noise, 0.1);
  // The common parameters: input_size, train_limit, test_limit (0: all).
  EXPECT_EQ((std::vector<int64_t>{s.input_size, s.train_limit, s.test_limit}), (std::vector<int64_t>{10, 5, 0}));
  EXPECT_FALSE(s.normalize);
  EXPECT_EQ(s.root, "");
  // input_width: 0 (square) by default; set, it reaches the loader's options.
  EXPECT_EQ(s.input_width, 0);
  const DataOptions wide = data_of("synthetic", "{input_size: 10, input_width: 30}");
  EXPECT_EQ(augment_options(wide, 1).input_width, 30);
  EXPECT_THROW(data_of("synthetic", "{input_width: -1}"), ConfigError);
}

TEST(DataRegistry, AugmentOptionsBroadcastMeanAndStd) {
  DataOptions d = data_of("synthetic", "{crop_padding: 3, hflip: true, input_size: 20}");
  AugmentOptions a = augment_options(d, 3);  // one value each: every channel
  EXPECT_EQ(a.input_size, 20);
  EXPECT_EQ(a.crop_padding, 3);
  EXPECT_TRUE(a.hflip);
  EXPECT_EQ(a.mean, (std::vector<double>{0.5, 0.5, 0.5}));
  EXPECT_EQ(a.stddev, (std::vector<double>{0.25, 0.25, 0.25}));
  d = data_of("cifar10", "{root: r}");
  a = augment_options(d, 3);  // one per channel: as given
  EXPECT_EQ(a.mean, (std::vector<double>{0.4914, 0.4822, 0.4465}));
  EXPECT_EQ(a.stddev, (std::vector<double>{0.2470, 0.2435, 0.2616}));
  test::expect_error<ConfigError>([&] { augment_options(d, 1); },
                                  "data.parameters.mean/std: need 1 or 1 values (one per channel), got 3 and 3");
  d = data_of("synthetic", "{mean: [0.1, 0.2], std: [0.3]}");
  test::expect_error<ConfigError>([&] { augment_options(d, 3); }, "need 1 or 3 values (one per channel), got 2 and 1");
  // normalize: false ignores mean and std (and their count).
  d = data_of("synthetic", "{normalize: false, mean: [0.1, 0.2]}");
  a = augment_options(d, 3);
  EXPECT_TRUE(a.mean.empty());
  EXPECT_TRUE(a.stddev.empty());
}

TEST(DataRegistry, LoadDataAppliesTheLimits) {
  const std::string base = "{num_classes: 3, channels: 1, image_size: 8, input_size: 8, train_size: 24, test_size: 10";
  const ImageData all = load_data(data_of("synthetic", base + "}"));
  const ImageData limited = load_data(data_of("synthetic", base + ", train_limit: 7}"));
  EXPECT_EQ(all.train->size(), 24);
  EXPECT_EQ(limited.train->size(), 7);
  EXPECT_EQ(limited.test->size(), 10);  // test_limit 0: all
  EXPECT_EQ(limited.num_classes, 3);
  // The first 7 examples of the same data.
  EXPECT_TRUE(torch::equal(limited.train->labels(), all.train->labels().slice(0, 0, 7)));
  EXPECT_TRUE(torch::equal(limited.train->images({0, 6}), all.train->images({0, 6})));
  const ImageData both = load_data(data_of("synthetic", base + ", train_limit: 100, test_limit: 4}"));
  EXPECT_EQ(both.train->size(), 24);  // a limit above the size keeps all
  EXPECT_EQ(both.test->size(), 4);
  // A dataset type's loader is used, and its errors come through.
  test::expect_error<DataError>([] { load_data(data_of("cifar10", "{root: /nonexistent/cifar}")); },
                                "/nonexistent/cifar");
}

}  // namespace
}  // namespace lrid

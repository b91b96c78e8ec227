// The registry of datasets and their parameter schemas. See data_registry.h.
#include "training/data_registry.h"

#include <fmt/format.h>

#include <cstdlib>
#include <type_traits>
#include <utility>

#include "core/errors.h"

namespace lrid {
namespace {

// A dataset type's prototype: its defaults for the parameters every image dataset shares.
DataOptions defaults(int64_t input_size, int64_t crop_padding, bool hflip, std::vector<double> mean, std::vector<double> stddev) {
  DataOptions o;
  o.input_size = input_size;
  o.crop_padding = crop_padding;
  o.hflip = hflip;
  o.mean = std::move(mean);
  o.std = std::move(stddev);
  return o;
}

// The parameters every dataset shares, after the type's own. With `shape_from_data`
// the input shape may be absent (0 x 0: the loaded images' own, as audio_folder's).
OptionsBinding<DataOptions> with_common(OptionsBinding<DataOptions> b, bool shape_from_data = false) {
  if (shape_from_data) {
    b.optional("input_size", &DataOptions::input_size);
    b.optional("input_width", &DataOptions::input_width);
  } else {
    b.add("input_size", &DataOptions::input_size).at_least(8).describe("images are resized to this square size");
    b.add("input_width", &DataOptions::input_width)
        .at_least(0)
        .describe("> 0: resized to input_size x input_width instead (not for SimCLR)");
  }
  b.add("crop_padding", &DataOptions::crop_padding).at_least(0).describe("random-crop padding; 0: no crop");
  b.add("hflip", &DataOptions::hflip).describe("random horizontal flips");
  b.add("normalize", &DataOptions::normalize).describe("subtract mean, divide by std, per channel");
  b.add("mean", &DataOptions::mean);
  b.add("std", &DataOptions::std).above(0);
  b.add("train_limit", &DataOptions::train_limit).at_least(0).describe("use only the first N training images; 0: all");
  b.add("test_limit", &DataOptions::test_limit).at_least(0).describe("use only the first N test images; 0: all");
  return b;
}

OptionsBinding<DataOptions> fashion_mnist() {
  DataOptions p = defaults(28, 0, false, {0.2860}, {0.3530});
  p.root = "/usr/share/datasets/fashion-mnist";
  OptionsBinding<DataOptions> b(p);
  b.add("root", &DataOptions::root);
  return with_common(b);
}

OptionsBinding<DataOptions> cifar10() {
  OptionsBinding<DataOptions> b(defaults(32, 4, true, {0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616}));
  b.require("root", &DataOptions::root);
  return with_common(b);
}

OptionsBinding<DataOptions> image_folder() {
  OptionsBinding<DataOptions> b(defaults(224, 0, true, {0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}));
  b.require("root", &DataOptions::root);
  b.add("decode_size", &DataOptions::decode_size).at_least(0).describe("decode: shorter side to this, centre crop; 0: input_size");
  return with_common(b);
}

OptionsBinding<DataOptions> synthetic() {
  OptionsBinding<DataOptions> b(defaults(28, 0, false, {0.5}, {0.25}));
  auto field = [](int64_t SyntheticOptions::*f) {
    return OptionsBinding<DataOptions>::Access<int64_t>([f](DataOptions& o) -> int64_t& { return o.synthetic.*f; });
  };
  b.add<int64_t>("num_classes", field(&SyntheticOptions::num_classes)).at_least(2);
  b.add<int64_t>("channels", field(&SyntheticOptions::channels)).at_least(1);
  b.add<int64_t>("image_size", field(&SyntheticOptions::image_size)).at_least(4);
  b.add<int64_t>("train_size", field(&SyntheticOptions::train_size)).at_least(1);
  b.add<int64_t>("test_size", field(&SyntheticOptions::test_size)).at_least(1);
  b.add<double>("noise", [](DataOptions& o) -> double& { return o.synthetic.noise; }).at_least(0);
  b.add<int64_t>("seed", field(&SyntheticOptions::seed)).at_least(0);
  return with_common(b);
}

// A folder of spoken words as cochleagrams (audio/audio_folder.h). Its input
// shape defaults to the cochleagram's own (0 x 0: 50 filters x 200 frames at
// the defaults); the normalisation is that of the compressed envelopes of the
// synthetic set (scripts/make_speech_words.sh) at the default RMS level.
OptionsBinding<DataOptions> audio_folder() {
  DataOptions p = defaults(0, 0, false, {0.25}, {0.2});
  OptionsBinding<DataOptions> b(p);
  b.require("root", &DataOptions::root);
  auto audio = [](auto AudioFolderOptions::*f) {
    using T = std::remove_reference_t<decltype(std::declval<AudioFolderOptions&>().*f)>;
    return OptionsBinding<DataOptions>::Access<T>([f](DataOptions& o) -> T& { return o.audio.*f; });
  };
  auto coch = [](auto CochleagramOptions::*f) {
    using T = std::remove_reference_t<decltype(std::declval<CochleagramOptions&>().*f)>;
    return OptionsBinding<DataOptions>::Access<T>([f](DataOptions& o) -> T& { return o.audio.cochleagram.*f; });
  };
  b.add<double>("duration", audio(&AudioFolderOptions::duration_s)).above(0).describe("clip length in seconds");
  b.add<double>("rms", audio(&AudioFolderOptions::rms)).above(0).describe("each clip's RMS level");
  b.add<std::string>("split", audio(&AudioFolderOptions::split))
      .one_of({"hash", "lists"})
      .describe("hash: Speech Commands' speaker hash; lists: validation_list.txt, testing_list.txt");
  b.add<double>("validation_percent", audio(&AudioFolderOptions::validation_percent)).at_least(0);
  b.add<double>("test_percent", audio(&AudioFolderOptions::test_percent)).above(0);
  b.add<std::string>("noise", audio(&AudioFolderOptions::noise))
      .one_of({"none", "white", "background"})
      .describe("additive noise: white, or root/_background_noise_/*.wav");
  b.add<double>("noise_prob", audio(&AudioFolderOptions::noise_prob)).at_least(0).describe("fraction of noisy clips");
  b.add<double>("snr_min_db", audio(&AudioFolderOptions::snr_min_db));
  b.add<double>("snr_max_db", audio(&AudioFolderOptions::snr_max_db));
  b.add<bool>("noise_on_test", audio(&AudioFolderOptions::noise_on_test));
  b.add<double>("max_level", audio(&AudioFolderOptions::max_level)).above(0).describe("compressed value at pixel 255");
  b.add<int64_t>("seed", audio(&AudioFolderOptions::seed)).at_least(0).describe("crop offsets and noise draws");
  b.add<std::string>("cache_dir", audio(&AudioFolderOptions::cache_dir))
      .describe("cochleagram cache; empty: $LRID_CACHE/cochleagrams; none: no cache");
  b.add<int64_t>("sample_rate", coch(&CochleagramOptions::sample_rate)).at_least(1).describe("audio rate, Hz");
  b.add<int64_t>("num_filters", coch(&CochleagramOptions::num_filters)).at_least(1);
  b.add<double>("low_hz", coch(&CochleagramOptions::low_hz)).above(0);
  b.add<double>("high_hz", coch(&CochleagramOptions::high_hz)).above(0);
  b.add<int64_t>("envelope_rate", coch(&CochleagramOptions::envelope_rate)).at_least(1).describe("Hz");
  b.add<double>("power", coch(&CochleagramOptions::power)).above(0).describe("compression exponent");
  return with_common(b, /*shape_from_data=*/true);
}

ImageData load_audio(const DataOptions& o) {
  AudioFolderOptions a = o.audio;
  a.root = o.root;
  return load_audio_folder(a);
}

ImageData load_synthetic(const DataOptions& o) {
  const SyntheticOptions& s = o.synthetic;
  return make_synthetic(s.num_classes, s.channels, s.image_size, s.train_size, s.test_size, s.noise,
                        static_cast<uint64_t>(s.seed));
}

Registry<DataSpec> make_data_registry() {
  Registry<DataSpec> reg("data");
  reg.add_typed("fashion_mnist", "Fashion-MNIST (IDX files, gzipped or not)",
                DataSpec{fashion_mnist(), [](const DataOptions& o) { return load_fashion_mnist(o.root); }});
  reg.add_typed("cifar10", "CIFAR-10 binary version (data_batch_*.bin, test_batch.bin)",
                DataSpec{cifar10(), [](const DataOptions& o) { return load_cifar10(o.root); }});
  reg.add_typed("image_folder", "ImageNet-style folder: root/{train,val}/<class>/*.jpg",
                DataSpec{image_folder(), [](const DataOptions& o) {
                           return load_image_folder(o.root, o.decode_size > 0 ? o.decode_size : o.input_size);
                         }});
  reg.add_typed("audio_folder", "spoken words as cochleagrams: root/<word>/*.wav (Speech Commands layout)",
                DataSpec{audio_folder(), load_audio});
  reg.add_typed("synthetic", "seeded Gaussian class prototypes plus noise (tests, benchmarks)",
                DataSpec{synthetic(), load_synthetic});
  return reg;
}

}  // namespace

std::string expand_home(const std::string& path) {
  if (path != "~" && path.rfind("~/", 0) != 0) return path;
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') throw ConfigError(fmt::format("data.parameters.root: {} needs $HOME", path));
  return std::string(home) + path.substr(1);
}

const Registry<DataSpec>& data_registry() { return built_once<DataSpec, make_data_registry>(); }

ImageData load_data(const DataOptions& options) {
  DataOptions o = options;
  o.root = expand_home(o.root);
  ImageData d = data_registry().at(o.type).factory.load(o);
  d.train = limit_split(d.train, o.train_limit);
  d.test = limit_split(d.test, o.test_limit);
  return d;
}

DataOptions resolve_input_shape(DataOptions o, const ImageData& data) {
  if (o.input_size == 0) {
    o.input_size = data.train->height();
    if (o.input_width == 0) o.input_width = data.train->width();
  }
  return o;
}

AugmentOptions augment_options(const DataOptions& d, int64_t channels) {
  AugmentOptions o;
  o.input_size = d.input_size;
  o.input_width = d.input_width;
  o.crop_padding = d.crop_padding;
  o.hflip = d.hflip;
  if (d.normalize) {
    o.mean = d.mean;
    o.stddev = d.std;
    // A single value applies to every channel.
    if (o.mean.size() == 1) o.mean.assign(channels, o.mean[0]);
    if (o.stddev.size() == 1) o.stddev.assign(channels, o.stddev[0]);
    if (static_cast<int64_t>(o.mean.size()) != channels || static_cast<int64_t>(o.stddev.size()) != channels)
      throw ConfigError(fmt::format("data.parameters.mean/std: need 1 or {} values (one per channel), got {} and {}",
                                    channels, d.mean.size(), d.std.size()));
  }
  return o;
}

}  // namespace lrid

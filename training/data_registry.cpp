// The registry of datasets and their parameter schemas. See data_registry.h.
#include "training/data_registry.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace lrid {
namespace {

// Parameters every image dataset shares; defaults differ per dataset.
Schema common(int64_t input_size, int64_t crop_padding, bool hflip, std::vector<double> mean,
              std::vector<double> stddev) {
  return {
      int_param("input_size", input_size).at_least(8).describe("images are resized to this square size"),
      int_param("crop_padding", crop_padding).at_least(0).describe("random-crop padding; 0: no crop"),
      bool_param("hflip", hflip).describe("random horizontal flips"),
      bool_param("normalize", true).describe("subtract mean, divide by std, per channel"),
      reals_param("mean", mean), reals_param("std", stddev).above(0),
      int_param("train_limit", 0).at_least(0).describe("use only the first N training images; 0: all"),
      int_param("test_limit", 0).at_least(0).describe("use only the first N test images; 0: all"),
  };
}

Schema with(Schema s, std::vector<ParamSpec> extra) {
  s.insert(s.begin(), extra.begin(), extra.end());
  return s;
}

// The parameters of common().
void parse_common(const Params& p, DataOptions& o) {
  o.input_size = p.get_int("input_size");
  o.crop_padding = p.get_int("crop_padding");
  o.hflip = p.get_bool("hflip");
  o.normalize = p.get_bool("normalize");
  o.mean = p.get_reals("mean");
  o.std = p.get_reals("std");
  o.train_limit = p.get_int("train_limit");
  o.test_limit = p.get_int("test_limit");
}

void parse_root(const Params& p, DataOptions& o) {
  parse_common(p, o);
  o.root = p.get_string("root");
}

void parse_image_folder(const Params& p, DataOptions& o) {
  parse_root(p, o);
  o.decode_size = p.get_int("decode_size");
}

void parse_synthetic(const Params& p, DataOptions& o) {
  parse_common(p, o);
  SyntheticOptions& s = o.synthetic;
  s.num_classes = p.get_int("num_classes");
  s.channels = p.get_int("channels");
  s.image_size = p.get_int("image_size");
  s.train_size = p.get_int("train_size");
  s.test_size = p.get_int("test_size");
  s.noise = p.get_real("noise");
  s.seed = p.get_int("seed");
}

ImageData load_synthetic(const DataOptions& o) {
  const SyntheticOptions& s = o.synthetic;
  return make_synthetic(s.num_classes, s.channels, s.image_size, s.train_size, s.test_size, s.noise,
                        static_cast<uint64_t>(s.seed));
}

Schema synthetic_schema() {
  return with(common(28, 0, false, {0.5}, {0.25}),
              {int_param("num_classes", 10).at_least(2), int_param("channels", 1).at_least(1),
               int_param("image_size", 28).at_least(4), int_param("train_size", 2048).at_least(1),
               int_param("test_size", 512).at_least(1), real_param("noise", 0.3).at_least(0),
               int_param("seed", 0).at_least(0)});
}

}  // namespace

DataOptions data_options(const std::string& type, const Params& p) {
  return parse_typed<DataOptions>(data_registry(), type, p);
}

const Registry<DataSpec>& data_registry() {
  static const Registry<DataSpec> r = [] {
    Registry<DataSpec> reg("data");
    reg.add("fashion_mnist", "Fashion-MNIST (IDX files, gzipped or not)",
            with(common(28, 0, false, {0.2860}, {0.3530}), {string_param("root", "/usr/share/datasets/fashion-mnist")}),
            DataSpec{parse_root, [](const DataOptions& o) { return load_fashion_mnist(o.root); }});
    reg.add("cifar10", "CIFAR-10 binary version (data_batch_*.bin, test_batch.bin)",
            with(common(32, 4, true, {0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616}),
                 {required_param("root", ParamType::kString)}),
            DataSpec{parse_root, [](const DataOptions& o) { return load_cifar10(o.root); }});
    reg.add("image_folder", "ImageNet-style folder: root/{train,val}/<class>/*.jpg",
            with(common(224, 0, true, {0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}),
                 {required_param("root", ParamType::kString),
                  int_param("decode_size", 0).at_least(0).describe("decode: shorter side to this, centre crop; 0: input_size")}),
            DataSpec{parse_image_folder, [](const DataOptions& o) {
                       return load_image_folder(o.root, o.decode_size > 0 ? o.decode_size : o.input_size);
                     }});
    reg.add("synthetic", "seeded Gaussian class prototypes plus noise (tests, benchmarks)", synthetic_schema(),
            DataSpec{parse_synthetic, load_synthetic});
    return reg;
  }();
  return r;
}

ImageData load_data(const DataOptions& o) {
  ImageData d = data_registry().at(o.type).factory.load(o);
  d.train = limit_split(d.train, o.train_limit);
  d.test = limit_split(d.test, o.test_limit);
  return d;
}

AugmentOptions augment_options(const DataOptions& d, int64_t channels) {
  AugmentOptions o;
  o.input_size = d.input_size;
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

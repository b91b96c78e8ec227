// The `data` section: which dataset, where it is, and its preprocessing, as
// typed DataOptions parsed once from the section's validated parameters.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "audio/audio_folder.h"
#include "core/options_binding.h"
#include "core/registry.h"
#include "images/data_loader.h"
#include "images/datasets.h"

namespace lrid {

// Seeded synthetic images (data.type synthetic): class prototypes plus noise.
struct SyntheticOptions {
  int64_t num_classes = 10, channels = 1, image_size = 28, train_size = 2048, test_size = 512;
  double noise = 0.3;
  int64_t seed = 0;
};

struct DataOptions {
  std::string type;               // a name of data_registry()
  std::string root;               // dataset folder (not for synthetic)
  int64_t input_size = 28;        // images are resized to input_size x input_size ...
  int64_t input_width = 0;        // ... or to input_size x input_width when > 0
                                  // (audio_folder: 0 and 0 keep the cochleagram's size; see resolve_input_shape)
  int64_t crop_padding = 0;       // random-crop padding; 0: no crop
  bool hflip = false;             // random horizontal flips
  bool normalize = true;          // per channel: (x - mean) / std
  std::vector<double> mean, std;  // one value, or one per channel
  int64_t train_limit = 0, test_limit = 0;  // first N images of each split; 0: all
  int64_t decode_size = 0;        // image_folder: JPEG decode size; 0: input_size
  SyntheticOptions synthetic;
  AudioFolderOptions audio;       // audio_folder: clips, noise, split and cochleagram
};

struct DataSpec {
  OptionsBinding<DataOptions> options;  // the type's parameters and defaults
  std::function<ImageData(const DataOptions& options)> load;
};
const Registry<DataSpec>& data_registry();

// A `data` section's validated parameters as DataOptions.
inline DataOptions data_options(const std::string& type, const Params& params) {
  return parse_typed<DataOptions>(data_registry(), type, params);
}
// A leading "~/" of a data root as $HOME (configs name the cache, ~/.cache/lrid/...).
std::string expand_home(const std::string& path);
// Loads the dataset (limits applied; the root's "~/" expanded).
ImageData load_data(const DataOptions& options);
// Options whose input_size (and input_width) left at 0 take the loaded split's
// height (and width): an audio_folder's cochleagram, num_filters x frames.
DataOptions resolve_input_shape(DataOptions options, const ImageData& data);
// Preprocessing/augmentation for images with `channels` channels; ConfigError
// when mean/std hold neither 1 nor `channels` values.
AugmentOptions augment_options(const DataOptions& options, int64_t channels);

}  // namespace lrid

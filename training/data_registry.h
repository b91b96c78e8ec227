// The `data` section: which dataset, where it is, and its preprocessing.
#pragma once
#include <functional>

#include "images/data_loader.h"
#include "images/datasets.h"
#include "core/registry.h"

namespace lrid {

using DataFactory = std::function<ImageData(const Params& params)>;
const Registry<DataFactory>& data_registry();

// Loads the dataset of a `data` section (limits applied).
ImageData make_dataset(const std::string& type, const Params& params);
// Preprocessing/augmentation options of a `data` section.
AugmentOptions augment_options(const Params& params, int64_t channels);

}  // namespace lrid

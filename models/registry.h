// The `model` section: architectures and their parameters.
#pragma once
#include <functional>

#include "core/options_binding.h"
#include "core/registry.h"
#include "models/model.h"

namespace lrid {

struct ModelSpec {
  OptionsBinding<ModelOptions> options;  // the architecture's parameters and defaults
};
const Registry<ModelSpec>& model_registry();

// The coupled L2 rate of an architecture (learning-rules.md §9.7), without building it.
double architecture_weight_decay(const std::string& architecture);

// The section's validated parameters as ModelOptions (architecture and its own
// fields; the data-dependent fields, seed and rule are left to the caller).
ModelOptions model_options(const std::string& type, const Params& params);

// Builds the model of a `model` section for data with `in_channels`, `input_size`, `num_classes`.
Model make_model(const std::string& type, const Params& params, int64_t in_channels,
                 int64_t input_size, int64_t num_classes, uint64_t seed, const LayerRule& rule = {},
                 int64_t projection_dim = 0);

}  // namespace lrid

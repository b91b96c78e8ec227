// Internal constructors of the architecture families, dispatched by build_model
// (models/model.cpp). Each takes options already validated there.
#pragma once
#include "models/model.h"

namespace lrid {

// resnet18, resnet18v2, resnet34, resnet34v2 (learning-rules.md §9.2, §9.3).
Model make_resnet(const ModelOptions& options);
// alexnet, alexnetlrn (§9.4).
Model make_alexnet(const ModelOptions& options);
// knet, knetlrn, knetc4, knetc4lrn (§9.5).
Model make_knet(const ModelOptions& options);

// The batch-norm momentum to use: the user's value if set (>= 0), else the default.
inline double bn_momentum_or(const ModelOptions& options, double architecture_default) {
  return options.bn_momentum >= 0.0 ? options.bn_momentum : architecture_default;
}

}  // namespace lrid

// The observables of a user's own recording (`lrid stats`), with the same
// statistics, measurement conditions and reductions as the recorder.
//   weight:  any array; every entry is a synapse. slice_mean norms slice the
//            leading axis as given.
//   act:     [samples or time bins, units] (1-D: one sample; N-D: the first
//            axis is samples, the rest are units). Per-sample statistics are
//            reduced over the samples (mean by default).
//   gradavg: a per-sample Jacobian [n_out, n_in], or [samples, n_out, n_in].
#pragma once
#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

#include "observables/conditions.h"
#include "observables/measures.h"
#include "observables/names.h"

namespace lrid {

struct UserStatsOptions {
  Measure measure = Measure::kAct;
  MeasurementCondition condition;
  SampleReduction sample_reduction = SampleReduction::kMean;
  WeightNormMode weight_norm = WeightNormMode::kFrobenius;
};

// (name, value) pairs in canonical order. Throws DataError for an array whose
// shape does not fit the measure.
std::vector<std::pair<std::string, double>> user_statistics(const torch::Tensor& array,
                                                            const UserStatsOptions& options,
                                                            const std::string& what);

}  // namespace lrid

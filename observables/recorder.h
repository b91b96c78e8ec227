// The observable recorder: at scheduled points of training it runs a fixed,
// seeded probe set of held-out images through the network in inference mode,
// computes the 45 observables of every recordable layer under every configured
// measurement condition, and commits one record per condition to that
// condition's stream (observables/<condition>.csv, see stream.h). An index,
// observables/index.json, lists the conditions, points, layers and names.
//
// Config section `observables` (type recorder | none); see recorder_schema().
// Schedule: by default `points` points at steps round(k · total / (points − 1)),
// k = 0 … points − 1 (k = 0 is the initialisation, before any update; the last
// is the end of training); or explicit `at_steps` / `at_epochs`.
// Probe set (science.md §3.5): min(probe_size, test split) images drawn once
// with probe_seed from the held-out split, with the evaluation preprocessing;
// the same images at every point. Batch norm uses running statistics and
// dropout is off, so every sample is processed independently and probe_batch
// only bounds memory. Per-sample act and gradavg statistics are reduced over
// the probe set by sample_reduction (mean by default).
#pragma once
#include <torch/types.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/registry.h"
#include "observables/conditions.h"
#include "observables/measures.h"
#include "observables/record_index.h"
#include "observables/stream.h"

namespace lrid {

class ModelImpl;
struct LayerInfo;

// The forward pass the observables are measured on (science.md §3.5): the
// training task's inference path on un-augmented probe images, e.g.
// model.forward for supervised training (training/task.h gives it per task).
using ProbeForward = std::function<torch::Tensor(const torch::Tensor& images)>;

struct RecorderOptions {
  int64_t points = 21;
  std::vector<int64_t> at_steps;
  std::vector<double> at_epochs;
  int64_t probe_size = 256;
  int64_t probe_seed = 0;
  int64_t probe_batch = 64;
  std::vector<MeasurementCondition> conditions{MeasurementCondition{}};
  SampleReduction sample_reduction = SampleReduction::kMean;
  GradavgPath gradavg_path = GradavgPath::kForward;
  WeightNormMode weight_norm = WeightNormMode::kFrobenius;
};

using RecorderFactory = int;  // the section selects options only
const Registry<RecorderFactory>& observables_registry();
// Options of a `recorder` section (validated, with the conditions expanded):
// condition_grid one_at_a_time gives the full condition plus each fraction
// without noise and each noise level on every unit; product gives all pairs.
RecorderOptions recorder_options(const Params& params, const std::string& what);

struct RecordPoint {
  int64_t index = 0;  // k
  int64_t step = 0;   // optimizer updates done when recorded
  double epoch = 0;
};
// The schedule for a run of `total_steps` with `steps_per_epoch`; throws
// ConfigError when an explicit point lies outside [0, total_steps].
std::vector<RecordPoint> record_points(const RecorderOptions& options, int64_t total_steps,
                                       int64_t steps_per_epoch);

// The probe indices: the first min(size, n) of a permutation of 0..n−1 seeded by `seed`, sorted.
std::vector<int64_t> probe_indices(int64_t n, int64_t size, int64_t seed);

class Recorder {
 public:
  // `run_id` seeds the noise streams; `resume_step` < 0 starts the streams afresh.
  Recorder(RecorderOptions options, std::string run_name, uint64_t run_id, const std::filesystem::path& run_dir,
           const std::vector<LayerInfo>& layers, int64_t total_steps, int64_t steps_per_epoch,
           int64_t resume_step);
  // The probe images [P, C, S, S], already preprocessed and on the model's device.
  void set_probe(torch::Tensor images) { probe_ = std::move(images); }
  bool due(int64_t step) const;
  // Records every point scheduled at `step`; returns the seconds it took.
  double record(ModelImpl& model, const ProbeForward& forward, int64_t step);
  // Measures without writing: one [layers, 45] float64 CPU tensor per condition.
  std::vector<torch::Tensor> measure(ModelImpl& model, const ProbeForward& forward, int64_t point_index);
  const std::vector<RecordPoint>& points() const { return points_; }
  const RecorderOptions& options() const { return options_; }

 private:
  // observables/index.json: the conditions, points, layers and observable names.
  RecordIndex index(const std::vector<LayerInfo>& layers) const;
  RecorderOptions options_;
  std::string run_name_;
  uint64_t run_id_;
  std::vector<RecordPoint> points_;
  std::vector<UnitSampler> samplers_;
  std::vector<std::unique_ptr<ObservableStream>> streams_;
  torch::Tensor probe_;
};

}  // namespace lrid

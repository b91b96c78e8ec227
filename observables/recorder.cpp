// The observable recorder. See recorder.h.
#include "observables/recorder.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/errors.h"
#include "core/files.h"
#include "core/options_binding.h"
#include "core/params.h"
#include "models/model.h"
#include "observables/names.h"

namespace lrid {
namespace fs = std::filesystem;

namespace {

// The section's parameters as given; recorder_options() resolves them (enums, conditions).
struct RecorderParameters {
  int64_t points = 21;
  std::vector<int64_t> at_steps;
  std::vector<double> at_epochs;
  int64_t probe_size = 256, probe_seed = 0, probe_batch = 64;
  std::vector<double> subsample_fractions{1.0}, noise_stddevs{0.0};
  std::string condition_grid = "one_at_a_time";
  int64_t obs_seed = 0;
  std::string sample_reduction = "mean", gradavg_path = "forward", weight_norm_mode = "frobenius";
};

namespace {

void declare_recorder(OptionsBinding<RecorderParameters>& b) {
  b.add("points", &RecorderParameters::points).at_least(2)
      .describe("record points spread evenly over training, incl. init and end");
  b.add("at_steps", &RecorderParameters::at_steps).at_least(0).describe("explicit record steps (instead of points)");
  b.add("at_epochs", &RecorderParameters::at_epochs).at_least(0).describe("explicit record epochs (instead of points)");
  b.add("probe_size", &RecorderParameters::probe_size).at_least(1)
      .describe("held-out probe images for act and gradavg");
  b.add("probe_seed", &RecorderParameters::probe_seed).at_least(0).describe("seed of the probe images' draw");
  b.add("probe_batch", &RecorderParameters::probe_batch).at_least(1)
      .describe("probe images per forward pass (memory only)");
  b.add("subsample_fractions", &RecorderParameters::subsample_fractions).above(0).at_most(1)
      .describe("unit subsampling fractions");
  b.add("noise_stddevs", &RecorderParameters::noise_stddevs).at_least(0)
      .describe("absolute measurement-noise standard deviations");
  b.add("condition_grid", &RecorderParameters::condition_grid).one_of({"one_at_a_time", "product"})
      .describe("conditions: the full one plus each fraction and noise alone, or every pair");
  b.add("obs_seed", &RecorderParameters::obs_seed).at_least(0).describe("seed of unit subsets and noise");
  b.add("sample_reduction", &RecorderParameters::sample_reduction).one_of({"mean", "median"})
      .describe("probe-set reduction");
  b.add("gradavg_path", &RecorderParameters::gradavg_path).one_of({"forward", "feedback"})
      .describe("activity-change Jacobian through W (forward) or B (feedback)");
  b.add("weight_norm_mode", &RecorderParameters::weight_norm_mode).one_of({"frobenius", "slice_mean"});
}

}  // namespace

const OptionsBinding<RecorderParameters>& recorder_binding() { return bound_once<RecorderParameters, declare_recorder>(); }

// The measurement conditions: one_at_a_time gives the full condition plus each
// fraction without noise and each noise level on every unit; product gives all pairs.
std::vector<MeasurementCondition> expand_conditions(const RecorderParameters& r) {
  const auto fracs = r.subsample_fractions.empty() ? std::vector<double>{1.0} : r.subsample_fractions;
  const auto noises = r.noise_stddevs.empty() ? std::vector<double>{0.0} : r.noise_stddevs;
  std::vector<MeasurementCondition> conds;
  auto add = [&](double f, double s) {
    MeasurementCondition c;
    if (f < 1.0) c.frac = f;
    if (s > 0.0) c.stddev = s;
    c.seed = r.obs_seed;
    for (const auto& e : conds)
      if (e.name() == c.name()) return;
    conds.push_back(c);
  };
  if (r.condition_grid == "product") {
    for (double f : fracs)
      for (double s : noises) add(f, s);
  } else {
    add(1.0, 0.0);
    for (double f : fracs) add(f, 0.0);
    for (double s : noises) add(1.0, s);
  }
  return conds;
}

std::string csv_field(std::string s) {
  std::replace(s.begin(), s.end(), ',', '_');
  return s;
}

}  // namespace

const Registry<RecorderFactory>& observables_registry() {
  static const Registry<RecorderFactory> r = [] {
    Registry<RecorderFactory> reg("observables");
    reg.add("recorder", "record the 45 observables of every layer during training", recorder_binding().schema(), 0);
    reg.add("none", "record nothing", {}, 0);
    return reg;
  }();
  return r;
}

RecorderOptions recorder_options(const Params& params, const std::string& what) {
  const RecorderParameters r = recorder_binding().parse(params);
  if (!r.at_steps.empty() && !r.at_epochs.empty())
    throw ConfigError(fmt::format("{}: give at_steps or at_epochs, not both", what));
  RecorderOptions o;
  o.points = r.points;
  o.at_steps = r.at_steps;
  o.at_epochs = r.at_epochs;
  o.probe_size = r.probe_size;
  o.probe_seed = r.probe_seed;
  o.probe_batch = r.probe_batch;
  o.sample_reduction = parse_sample_reduction(r.sample_reduction, what + ".sample_reduction");
  o.gradavg_path = parse_gradavg_path(r.gradavg_path, what + ".gradavg_path");
  o.weight_norm = parse_weight_norm_mode(r.weight_norm_mode, what + ".weight_norm_mode");
  o.conditions = expand_conditions(r);
  return o;
}

std::vector<RecordPoint> record_points(const RecorderOptions& o, int64_t total, int64_t spe) {
  std::vector<int64_t> steps;
  if (!o.at_steps.empty()) {
    for (int64_t s : o.at_steps) {
      if (s > total)
        throw ConfigError(fmt::format("observables.parameters.at_steps: step {} is after the last step ({})", s,
                                      total));
      steps.push_back(s);
    }
  } else if (!o.at_epochs.empty()) {
    for (double e : o.at_epochs) {
      auto s = static_cast<int64_t>(std::llround(e * static_cast<double>(spe)));
      if (s > total)
        throw ConfigError(fmt::format("observables.parameters.at_epochs: epoch {} is after the end of training "
                                      "({} epochs)", e, static_cast<double>(total) / static_cast<double>(spe)));
      steps.push_back(s);
    }
  } else {
    for (int64_t k = 0; k < o.points; ++k)
      steps.push_back(static_cast<int64_t>(
          std::llround(static_cast<double>(k) * static_cast<double>(total) / static_cast<double>(o.points - 1))));
  }
  std::sort(steps.begin(), steps.end());
  std::vector<RecordPoint> out;
  for (std::size_t k = 0; k < steps.size(); ++k)
    out.push_back({static_cast<int64_t>(k), steps[k], static_cast<double>(steps[k]) / static_cast<double>(spe)});
  return out;
}

std::vector<int64_t> probe_indices(int64_t n, int64_t size, int64_t seed) {
  torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
  torch::Tensor perm = torch::randperm(n, gen, torch::kInt64).slice(0, 0, std::min(n, size));
  perm = std::get<0>(perm.sort());
  return std::vector<int64_t>(perm.data_ptr<int64_t>(), perm.data_ptr<int64_t>() + perm.numel());
}

Recorder::Recorder(RecorderOptions options, std::string run_name, uint64_t run_id, const fs::path& run_dir,
                   const std::vector<LayerInfo>& layers, int64_t total_steps, int64_t steps_per_epoch,
                   int64_t resume_step)
    : options_(std::move(options)), run_name_(csv_field(std::move(run_name))), run_id_(run_id) {
  points_ = record_points(options_, total_steps, steps_per_epoch);
  const fs::path dir = run_dir / "observables";
  ensure_directory(dir);
  for (const auto& c : options_.conditions) {
    samplers_.emplace_back(c);
    streams_.push_back(std::make_unique<ObservableStream>(dir / (c.name() + ".csv"), resume_step));
  }
  write_json(dir / "index.json", index(layers).to_json());
}

RecordIndex Recorder::index(const std::vector<LayerInfo>& layers) const {
  RecordIndex x;
  x.run = run_name_;
  for (const auto& c : options_.conditions)
    x.conditions.push_back({c.name(), c.name() + ".csv", c.subsampled() ? c.frac : std::nullopt,
                            c.noisy() ? c.stddev : std::nullopt, c.seed});
  for (const auto& p : points_) x.points.push_back({p.index, p.step, p.epoch});
  for (const auto& l : layers)
    x.layers.push_back({l.name, position_name(l.position), l.layer->is_conv() ? "conv" : "dense", l.index,
                        l.layer->weight().numel()});
  x.observables = all_observables();
  x.probe_size = options_.probe_size;
  x.sample_reduction = options_.sample_reduction == SampleReduction::kMean ? "mean" : "median";
  x.gradavg_path = options_.gradavg_path == GradavgPath::kForward ? "forward" : "feedback";
  x.weight_norm_mode = options_.weight_norm == WeightNormMode::kFrobenius ? "frobenius" : "slice_mean";
  return x;
}

bool Recorder::due(int64_t step) const {
  return std::any_of(points_.begin(), points_.end(), [&](const RecordPoint& p) { return p.step == step; });
}

std::vector<torch::Tensor> Recorder::measure(ModelImpl& model, const ProbeForward& forward, int64_t point) {
  TORCH_CHECK(probe_.defined() && probe_.size(0) > 0, "Recorder: no probe images");
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  const auto& layers = model.layers();
  const std::size_t nc = samplers_.size(), nl = layers.size();
  // Measures: 0 weight, 1 act, 2 gradavg (the noise-stream id).
  std::vector<std::vector<torch::Generator>> act_gen(nc), grad_gen(nc);
  std::vector<std::vector<SampleMeter>> act_meter(nc), grad_meter(nc);
  for (std::size_t c = 0; c < nc; ++c)
    for (std::size_t l = 0; l < nl; ++l) {
      const int64_t seed = samplers_[c].condition().seed;
      act_gen[c].push_back(noise_generator(seed, run_id_, static_cast<int64_t>(l), point, 1));
      grad_gen[c].push_back(noise_generator(seed, run_id_, static_cast<int64_t>(l), point, 2));
      act_meter[c].emplace_back(options_.sample_reduction);
      grad_meter[c].emplace_back(options_.sample_reduction);
    }
  for (const auto& l : layers) l.layer->set_capture(true);
  try {
    for (int64_t start = 0; start < probe_.size(0); start += options_.probe_batch) {
      torch::Tensor chunk = probe_.slice(0, start, std::min(probe_.size(0), start + options_.probe_batch));
      forward(chunk);
      for (std::size_t l = 0; l < nl; ++l) {
        RecordableLayerImpl& layer = *layers[l].layer;
        const torch::Tensor& x = layer.last_input();
        const torch::Tensor& y = layer.last_output();
        if (!y.defined())
          throw Error(fmt::format("layer {} was not reached by the probe forward pass", layer.layer_name()));
        for (std::size_t c = 0; c < nc; ++c) {
          act_meter[c][l].add(act_sample_observables(y, samplers_[c], act_gen[c][l]));
          grad_meter[c][l].add(gradavg_functions(
              layer_gradavg(layer, x, y, options_.gradavg_path, samplers_[c], grad_gen[c][l])));
        }
      }
    }
  } catch (...) {
    for (const auto& l : layers) l.layer->set_capture(false);
    if (was_training) model.train();
    throw;
  }
  for (const auto& l : layers) l.layer->set_capture(false);
  if (was_training) model.train();

  std::vector<torch::Tensor> out;
  for (std::size_t c = 0; c < nc; ++c) {
    std::vector<torch::Tensor> rows;
    for (std::size_t l = 0; l < nl; ++l) {
      torch::Generator wgen = noise_generator(samplers_[c].condition().seed, run_id_, static_cast<int64_t>(l), point, 0);
      torch::Tensor w = weight_observables(tf_layout(layers[l].layer->weight().detach()), options_.weight_norm,
                                           samplers_[c], wgen);
      rows.push_back(torch::cat({w, act_meter[c][l].value(), grad_meter[c][l].value()}));
    }
    out.push_back(torch::stack(rows).cpu());  // one device-to-host copy per condition
  }
  return out;
}

double Recorder::record(ModelImpl& model, const ProbeForward& forward, int64_t step) {
  auto t0 = std::chrono::steady_clock::now();
  const auto& names = all_observables();
  const auto& layers = model.layers();
  for (const auto& p : points_) {
    if (p.step != step) continue;
    std::vector<torch::Tensor> values = measure(model, forward, p.index);
    for (std::size_t c = 0; c < values.size(); ++c) {
      const std::string cond = samplers_[c].condition().name();
      const std::string prefix = fmt::format("{},{},{},{},{}", run_name_, cond, p.index, p.step, p.epoch);
      auto acc = values[c].accessor<double, 2>();
      std::string rows;
      rows.reserve(static_cast<std::size_t>(values[c].numel()) * 80);
      for (std::size_t l = 0; l < layers.size(); ++l)
        for (std::size_t k = 0; k < names.size(); ++k)
          fmt::format_to(std::back_inserter(rows), "{},{},{},{},{}\n", prefix, layers[l].name,
                         position_name(layers[l].position), names[k], acc[static_cast<int64_t>(l)][static_cast<int64_t>(k)]);
      streams_[c]->append(rows);
    }
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace lrid

// Seeded synthetic trajectory datasets for the classifier-stage tests: rules
// differ in the slope of chosen observables over time (plus noise), so which
// observables are informative is known.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "trajectories/trajectory_dataset.h"
#include "observables/names.h"

namespace lrid::testing {

// rows_per_rule rows for each rule; observables: the 24 admissible ones; others
// are pure noise. Row i has rule i % R; runs are three rows of one rule, and
// seed group s (meta model_seed = dataset_seed = s) holds one run per rule. graded: every informative observable carries slope
// (rule index) * signal (classes ordered along one direction: not linearly
// separable one-vs-rest); otherwise rule r raises only informative[r % size]
// by signal (linearly separable).
inline TrajectoryDataset synthetic_trajectories(int64_t rows_per_rule, const std::vector<std::string>& rules,
                                                const std::vector<std::string>& informative, double signal,
                                                uint64_t seed, int64_t time_points = 21, bool graded = true) {
  TrajectoryDataset d;
  d.obs_keys = admissible_observables();
  const int64_t k = static_cast<int64_t>(d.obs_keys.size());
  const int64_t n = rows_per_rule * static_cast<int64_t>(rules.size());
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(seed);
  d.x = torch::randn({n, time_points, k}, g, torch::kFloat32);
  d.x_cat = torch::zeros({n, time_points, 3});
  torch::Tensor ramp = torch::linspace(0, 1, time_points);
  MetaColumn layer, run, arch, model_seed, data_seed;
  layer.kind = run.kind = arch.kind = MetaColumn::Kind::kString;
  model_seed.kind = data_seed.kind = MetaColumn::Kind::kInt;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = i % static_cast<int64_t>(rules.size());
    d.y.push_back(rules[static_cast<std::size_t>(r)]);
    for (std::size_t m = 0; m < informative.size(); ++m) {
      const auto j = std::find(d.obs_keys.begin(), d.obs_keys.end(), informative[m]) - d.obs_keys.begin();
      if (graded)
        d.x[i].select(1, j) += ramp * static_cast<float>(signal * static_cast<double>(r));
      else if (static_cast<int64_t>(m) == r % static_cast<int64_t>(informative.size()))
        d.x[i].select(1, j) += ramp * static_cast<float>(signal);
    }
    d.x_cat[i].select(1, i % 3).fill_(1.0f);
    layer.strings.push_back(fmt::format("layer{}", i % 3));
    // Runs of three rows (layers); seed group s holds one run of every rule, as a factorial sweep does.
    const int64_t s = i / static_cast<int64_t>(rules.size()) / 3;
    run.strings.push_back(fmt::format("s{}-{}", s, rules[static_cast<std::size_t>(r)]));
    model_seed.ints.push_back(s);
    data_seed.ints.push_back(s);
    arch.strings.push_back(i % 2 ? "knet" : "alexnet");
  }
  d.meta["layer"] = layer;
  d.meta["run_id"] = run;
  d.meta["model_seed"] = model_seed;
  d.meta["dataset_seed"] = data_seed;
  d.meta["architecture"] = arch;
  d.time_epochs = torch::arange(time_points, torch::kFloat64) * 5.0;
  return d;
}

}  // namespace lrid::testing

// Measurement conditions (science.md §4): an experimenter who records only a
// fraction of the units, with additive Gaussian noise of absolute standard
// deviation σ. Noise comes first, subsampling second; statistics are then taken
// on the degraded tensor. A fraction keeps k = ceil(frac · n) of n units (at
// least one): the first k of a seeded permutation of 0..n−1.
//
// Random streams (§4.5):
// - subsets are deterministic functions of (obs_seed, role, n), role being
//   weight, act, post (the outputs of gradavg) or pre (its inputs), so they are
//   the same at every checkpoint and across runs;
// - noise is a fresh draw at every measurement, reproducible from (obs_seed,
//   run id, layer, checkpoint, measure); it is drawn on the CPU, so a GPU run
//   sees the same noise as a CPU run.
// Noise on elements that subsampling then discards cannot affect a statistic,
// so only the kept elements receive a draw (the same distribution, less work).
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace lrid {

enum class UnitRole : uint64_t { kWeight = 1, kAct = 2, kPost = 3, kPre = 4 };

struct MeasurementCondition {
  std::optional<double> frac;    // (0, 1]; nullopt (or 1): every unit
  std::optional<double> stddev;  // >= 0; nullopt (or 0): no noise
  int64_t seed = 0;              // obs_seed

  bool subsampled() const { return frac.has_value() && *frac < 1.0; }
  bool noisy() const { return stddev.has_value() && *stddev > 0.0; }
  // "full", "frac0.01", "noise3", "frac0.01_noise3" (and "_seed7" when seed != 0).
  std::string name() const;
  // Throws ConfigError naming `what` for a fraction outside (0, 1] or σ < 0.
  void validate(const std::string& what) const;
};

// k = ceil(frac · n), at least 1 and at most n.
int64_t kept_count(int64_t n, double frac);

// The kept unit indices (sorted, int64, CPU) for a condition, role and n; an
// undefined tensor when the condition keeps every unit. Cached per (role, n).
class UnitSampler {
 public:
  explicit UnitSampler(MeasurementCondition condition) : condition_(std::move(condition)) {}
  const MeasurementCondition& condition() const { return condition_; }
  const torch::Tensor& indices(UnitRole role, int64_t n);
  // Keeps the condition's units along the last axis of x ([..., n] -> [..., k]).
  torch::Tensor keep(const torch::Tensor& x, UnitRole role);
  // x + N(0, σ²) from `gen` (drawn on the CPU in float64, then cast/moved), or x.
  torch::Tensor add_noise(const torch::Tensor& x, torch::Generator& gen) const;

 private:
  MeasurementCondition condition_;
  std::map<std::pair<uint64_t, int64_t>, torch::Tensor> cache_;
};

// The noise stream of one measurement.
torch::Generator noise_generator(int64_t obs_seed, uint64_t run_id, int64_t layer, int64_t point,
                                 int measure);

}  // namespace lrid

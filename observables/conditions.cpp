// Measurement conditions. See conditions.h.
#include "observables/conditions.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "core/errors.h"
#include "core/seeding.h"

namespace lrid {

std::string MeasurementCondition::name() const {
  std::string s;
  if (subsampled()) s = fmt::format("frac{}", *frac);
  if (noisy()) s += fmt::format("{}noise{}", s.empty() ? "" : "_", *stddev);
  if (s.empty()) s = "full";
  if (seed != 0) s += fmt::format("_seed{}", seed);
  return s;
}

void MeasurementCondition::validate(const std::string& what) const {
  if (frac && !(*frac > 0.0 && *frac <= 1.0))
    throw ConfigError(fmt::format("{}: subsampling fraction {} is outside (0, 1]", what, *frac));
  if (stddev && !(*stddev >= 0.0 && std::isfinite(*stddev)))
    throw ConfigError(fmt::format("{}: noise standard deviation {} must be finite and >= 0", what, *stddev));
}

int64_t kept_count(int64_t n, double frac) {
  // ceil in double; the tiny slack keeps e.g. 0.01 * 300 = 3.0000000000000004 at 3.
  auto k = static_cast<int64_t>(std::ceil(frac * static_cast<double>(n) - 1e-9));
  return std::min(n, std::max<int64_t>(1, k));
}

const torch::Tensor& UnitSampler::indices(UnitRole role, int64_t n) {
  static const torch::Tensor none;
  if (!condition_.subsampled()) return none;
  auto key = std::make_pair(static_cast<uint64_t>(role), n);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  const uint64_t seed = mix_seed(mix_seed(static_cast<uint64_t>(condition_.seed), static_cast<uint64_t>(role)),
                                 static_cast<uint64_t>(n));
  torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::Tensor perm = torch::randperm(n, gen, torch::kInt64);
  torch::Tensor kept = std::get<0>(perm.slice(0, 0, kept_count(n, *condition_.frac)).sort());
  return cache_.emplace(key, kept).first->second;
}

torch::Tensor UnitSampler::keep(const torch::Tensor& x, UnitRole role) {
  const torch::Tensor& idx = indices(role, x.size(-1));
  if (!idx.defined()) return x;
  return x.index_select(x.dim() - 1, idx.to(x.device()));
}

torch::Tensor UnitSampler::add_noise(const torch::Tensor& x, torch::Generator& gen) const {
  if (!condition_.noisy()) return x;
  torch::Tensor z = torch::randn(x.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat64));
  return x.to(torch::kFloat64) + *condition_.stddev * z.to(x.device());
}

torch::Generator noise_generator(int64_t obs_seed, uint64_t run_id, int64_t layer, int64_t point, int measure) {
  uint64_t s = mix_seed(static_cast<uint64_t>(obs_seed), run_id);
  s = mix_seed(s, static_cast<uint64_t>(layer));
  s = mix_seed(s, static_cast<uint64_t>(point));
  s = mix_seed(s, static_cast<uint64_t>(measure));
  return at::make_generator<at::CPUGeneratorImpl>(s);
}

}  // namespace lrid

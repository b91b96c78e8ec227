// Observables of users' recordings. See user_stats.h.
#include "observables/user_stats.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "core/errors.h"

namespace lrid {

std::vector<std::pair<std::string, double>> user_statistics(const torch::Tensor& array,
                                                            const UserStatsOptions& o, const std::string& what) {
  if (array.numel() == 0) throw DataError(fmt::format("{}: the array is empty", what));
  UnitSampler sampler(o.condition);
  torch::Generator gen = noise_generator(o.condition.seed, 0, 0, 0, static_cast<int>(o.measure));
  torch::Tensor values;
  switch (o.measure) {
    case Measure::kWeight:
      values = weight_observables(array.dim() == 0 ? array.view({1}) : array, o.weight_norm, sampler, gen);
      break;
    case Measure::kAct: {
      torch::Tensor a = array.dim() <= 1 ? array.reshape({1, -1}) : array.reshape({array.size(0), -1});
      SampleMeter meter(o.sample_reduction);
      meter.add(act_sample_observables(a, sampler, gen));
      values = meter.value();
      break;
    }
    case Measure::kGradavg: {
      if (array.dim() != 2 && array.dim() != 3)
        throw DataError(fmt::format("{}: gradavg needs a Jacobian [n_out, n_in] or [samples, n_out, n_in], got "
                                    "{} dimensions", what, array.dim()));
      torch::Tensor j = array.dim() == 2 ? array.unsqueeze(0) : array;
      SampleMeter meter(o.sample_reduction);
      meter.add(gradavg_functions(jacobian_gradavg(j, sampler, gen)));
      values = meter.value();
      break;
    }
  }
  const auto names = measure_observables(o.measure);
  values = values.cpu().contiguous();
  std::vector<std::pair<std::string, double>> out;
  for (std::size_t i = 0; i < names.size(); ++i) out.emplace_back(names[i], values[static_cast<int64_t>(i)].item<double>());
  return out;
}

}  // namespace lrid

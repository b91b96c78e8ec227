// Feature layouts. See features.h.
#include "classifiers/features.h"

#include <fmt/format.h>
#include <torch/torch.h>

namespace lrid {

torch::Tensor continuous_block(const TrajectoryDataset& data, const std::vector<int64_t>& columns,
                               const std::vector<int64_t>& times) {
  torch::Tensor x = data.x.index_select(2, torch::tensor(columns, torch::kInt64));  // [N, T, M]
  if (!times.empty()) x = x.index_select(1, torch::tensor(times, torch::kInt64));
  return x.transpose(1, 2).reshape({x.size(0), -1}).to(torch::kFloat64).contiguous();  // [N, M*T]
}

int64_t selected_time_points(const std::vector<int64_t>& times, int64_t time_points) {
  return times.empty() ? time_points : static_cast<int64_t>(times.size());
}

torch::Tensor onehot_block(const TrajectoryDataset& data) {
  return data.x_cat.select(1, 0).to(torch::kFloat64).contiguous();
}

std::vector<std::string> feature_names(const std::vector<std::string>& observables, int64_t time_points) {
  std::vector<std::string> out = {"grp_id0", "grp_id1", "grp_id2"};
  for (const auto& o : observables)
    for (int64_t t = 0; t < time_points; ++t) out.push_back(fmt::format("{}@t{}", o, t));
  return out;
}

torch::Tensor sequence_layout(const torch::Tensor& continuous, const torch::Tensor& onehot, int64_t time_points) {
  const int64_t n = continuous.size(0);
  torch::Tensor seq = continuous.view({n, -1, time_points}).transpose(1, 2);  // [N, T, M]
  torch::Tensor cat = onehot.unsqueeze(1).expand({n, time_points, onehot.size(1)});
  return torch::cat({cat, seq}, 2).to(torch::kFloat32).contiguous();
}

void Normalizer::fit(const torch::Tensor& x) {
  mean = x.mean(0);
  stddev = x.std(0, /*unbiased=*/false).clamp_min(1e-5);
}

torch::Tensor Normalizer::apply(const torch::Tensor& x) const { return (x - mean) / stddev; }

}  // namespace lrid

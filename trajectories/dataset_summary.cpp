// The dataset summary. See dataset_summary.h.
#include "trajectories/dataset_summary.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <map>

namespace lrid {

std::string dataset_summary(const TrajectoryDataset& d) {
  std::string s = fmt::format("rows {}  time points {}  observables {}\n", d.rows(), d.time_points(), d.obs_keys.size());
  if (d.time_epochs.defined() && d.time_epochs.numel() > 0)
    s += fmt::format("epochs {} … {}\n", d.time_epochs[0].item<double>(), d.time_epochs[-1].item<double>());
  auto counts = [&](const std::string& key, const std::vector<std::string>& values) {
    std::map<std::string, int64_t> c;
    for (const auto& v : values) ++c[v];
    std::string line = key + ":";
    for (const auto& [k, n] : c) line += fmt::format(" {} {}", k, n);
    return line + "\n";
  };
  s += counts("rules", d.y);
  for (const char* key : {"task", "architecture", "layer_position", "condition", "batch_size"})
    if (d.meta.count(key)) {
      std::vector<std::string> v;
      for (int64_t i = 0; i < d.rows(); ++i) v.push_back(d.meta.at(key).as_string(i));
      s += counts(key, v);
    }
  const int64_t bad = d.x.isfinite().logical_not().flatten(1).any(1).sum().item<int64_t>();
  s += fmt::format("rows with non-finite values: {}\n", bad);
  for (const auto& [k, v] : d.attributes) s += fmt::format("attribute {}: {}\n", k, v.substr(0, 200));
  return s;
}

}  // namespace lrid

// The experiments' protocol runner and result summaries. See protocol_runner.h.
#include "experiments/protocol_runner.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

namespace lrid {

ProtocolRunner::ProtocolRunner(const std::string& label, int64_t total, bool progress)
    : progress_(label, total, progress, 15.0) {}

ProtocolResult ProtocolRunner::run(const TrajectoryDataset& data, const ProtocolOptions& options, const std::string& what) {
  ProtocolResult r = run_protocol(data, options);
  progress_.update(++done_, fmt::format("{}: {:.3f}", what, r.accuracy_mean));
  return r;
}

void ProtocolRunner::finish() { progress_.finish(fmt::format("{} protocol runs", done_)); }

std::vector<double> split_accuracies(const ProtocolResult& r) {
  std::vector<double> a;
  for (const auto& s : r.splits) a.push_back(s.test_accuracy);
  return a;
}

Confusion row_normalised(const Confusion& c) {
  Confusion out = c;
  for (auto& row : out) {
    double sum = 0;
    for (double v : row) sum += v;
    for (double& v : row) v = sum > 0 ? v / sum : 0.0;
  }
  return out;
}

std::string pm(double mean, double sem) {
  return std::isfinite(sem) ? fmt::format("{:.3f} ± {:.3f}", mean, sem) : fmt::format("{:.3f}", mean);
}

std::string accuracy_pm(const ProtocolResult& r) { return pm(r.accuracy_mean, r.accuracy_sem); }

std::string chosen_config(const ProtocolResult& r) {
  std::map<std::string, int> count;
  for (const auto& s : r.splits) ++count[config_text(s.chosen)];
  std::string best;
  int n = -1;
  for (const auto& [k, v] : count)
    if (v > n) {
      best = k;
      n = v;
    }
  return best;
}

}  // namespace lrid

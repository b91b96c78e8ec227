// Run-level identification by a vote of a run's layers. See run_vote.h.
#include "classifiers/run_vote.h"

#include <cmath>
#include <map>

#include "classifiers/metrics.h"
#include "core/errors.h"
#include "trajectories/trajectory_dataset.h"

namespace lrid {

RunVoteResult run_vote(const ProtocolResult& result, const std::vector<std::string>& run_of_row,
                       const std::vector<std::string>& labels) {
  if (run_of_row.empty()) throw ConfigError("run vote: the dataset has no run_id column");
  if (run_of_row.size() != labels.size())
    throw ConfigError("run vote: " + std::to_string(run_of_row.size()) + " run ids for " +
                      std::to_string(labels.size()) + " labels");
  RunVoteResult out;
  for (const SplitResult& s : result.splits) {
    // run -> (true label, votes per predicted class)
    std::map<std::string, std::pair<std::string, std::map<int64_t, int64_t>>> runs;
    for (std::size_t i = 0; i < s.test.size(); ++i) {
      const auto row = static_cast<std::size_t>(s.test[i]);
      auto& r = runs[run_of_row.at(row)];
      r.first = labels.at(row);
      ++r.second[s.predictions.at(i)];
    }
    double score = 0;
    for (const auto& [run, r] : runs) {
      int64_t best = 0, tied = 0;
      bool truth_tied = false;
      for (const auto& [cls, n] : r.second) best = std::max(best, n);
      for (const auto& [cls, n] : r.second)
        if (n == best) {
          ++tied;
          truth_tied |= result.class_names.at(static_cast<std::size_t>(cls)) == r.first;
        }
      if (truth_tied) score += 1.0 / static_cast<double>(tied);
    }
    out.runs.push_back(static_cast<int64_t>(runs.size()));
    out.accuracy.push_back(runs.empty() ? std::nan("") : score / static_cast<double>(runs.size()));
  }
  out.accuracy_mean = mean(out.accuracy);  // as the protocol's accuracy (metrics.h)
  out.accuracy_sem = sem(out.accuracy);
  return out;
}

bool has_run_ids(const TrajectoryDataset& data) { return data.meta.count("run_id") > 0; }

RunVoteResult run_vote(const ProtocolResult& result, const TrajectoryDataset& data) {
  std::vector<std::string> runs;
  if (has_run_ids(data)) {
    const MetaColumn& c = data.meta.at("run_id");
    for (int64_t i = 0; i < data.rows(); ++i) runs.push_back(c.as_string(i));
  }
  return run_vote(result, runs, data.y);
}

}  // namespace lrid

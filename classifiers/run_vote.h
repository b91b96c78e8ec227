// Run-level identification: the rule of a whole training run named from the
// votes of its recorded layers. The protocol classifies one row per layer; an
// experimentalist who records several layers (areas) of the same network can
// pool them. For each outer split, a test run's predicted rule is the one most
// of its test rows were given; the run is right when that is its true rule. A
// tie among k rules that includes the true one counts 1/k (the expected score
// of breaking the tie at random), so ties are neither rewarded nor hidden.
// Splits that keep runs whole (group_by run or seed) hold every layer of a
// test run on the test side; under row splits a run's rows straddle train and
// test and only its test rows vote.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "classifiers/protocol.h"

namespace lrid {

struct RunVoteResult {
  std::vector<double> accuracy;      // per split
  std::vector<int64_t> runs;         // test runs per split
  double accuracy_mean = 0, accuracy_sem = 0;  // over splits (metrics.h: sem NaN for one split)
};

// run_of_row: the run id of every dataset row (the dataset's run_id column);
// labels: every row's true label (class names as in result.class_names).
// Throws ConfigError when the dataset has no run ids (an empty run_of_row).
RunVoteResult run_vote(const ProtocolResult& result, const std::vector<std::string>& run_of_row,
                       const std::vector<std::string>& labels);

// The same on a dataset's own run_id column and labels (ConfigError without run ids).
struct TrajectoryDataset;
RunVoteResult run_vote(const ProtocolResult& result, const TrajectoryDataset& data);
// Whether the dataset has the run_id column run_vote needs.
bool has_run_ids(const TrajectoryDataset& data);

}  // namespace lrid

// One classifier per trajectory prefix (the first k record points), for
// naming a rule while a run is still training (`lrid classify --prefixes`,
// `lrid identify RUN_DIR --follow`). Each prefix length gets the whole
// evaluation protocol on its own (its grid search, its held-out accuracy),
// then the configuration its splits chose most often, refit on every row.
// Saved in one LibTorch archive: the lengths, their held-out accuracies, and
// one saved classifier (saved_classifier.h) per length.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "classifiers/protocol.h"
#include "classifiers/saved_classifier.h"

namespace lrid {

struct PrefixClassifiers {
  std::vector<int64_t> lengths;    // k of each classifier, ascending
  std::vector<double> accuracy;    // its held-out accuracy (protocol mean; NaN when unknown)
  std::vector<double> accuracy_sem;
  std::vector<SavedClassifier> classifiers;
  int64_t dataset_time_points = 0;  // T of the training dataset

  // Index of the classifier for a run with `points` records: the longest
  // prefix that is at most `points`; -1 when even the shortest is longer.
  int64_t for_points(int64_t points) const;
};

// The time indices 0..k-1.
std::vector<int64_t> prefix_time_points(int64_t k);

// The share of training observed by the first k record points:
// time_epochs[k-1] / time_epochs[T-1] (record points sit at the same fractions
// of every run of a sweep, whatever its epoch count); k / T when the time axis is all zero.
double prefix_fraction(const TrajectoryDataset& data, int64_t k);

// The prefix lengths to fit: `lengths` checked against T (1..T, ascending,
// unique; ConfigError naming the value), or every k in 1..T when empty.
std::vector<int64_t> prefix_lengths(const std::vector<int64_t>& lengths, int64_t time_points);

// The protocol of `o` on the first k points for every k of `lengths`, and its
// refit classifier. `on_result(k, result)` sees each protocol result (may be empty).
PrefixClassifiers fit_prefix_classifiers(
    const TrajectoryDataset& data, const ProtocolOptions& o, const std::vector<int64_t>& lengths,
    const std::function<void(int64_t, const ProtocolResult&)>& on_result = {});

void save_prefix_classifiers(const std::string& path, const PrefixClassifiers& p);
// A file of save_prefix_classifiers, or of save_classifier (one classifier of
// every point: one length, T, accuracy unknown). DataError naming the file otherwise.
PrefixClassifiers load_prefix_classifiers(const std::string& path);

}  // namespace lrid

// Splits and inner folds by group (science.md §6.9): evaluation that cannot
// leak. Rows are not independent: the rows of one training run share its
// trajectory, and runs that share (model seed, data seed) start identical and
// see the same batches under every rule, so they stay near-twins with
// different labels until B has moved. A split by group keeps every group whole
// on one side of the outer split and of every inner fold.
//   row   every row its own group: the paper's protocol (§6.1, splits.h)
//   run   meta/run_id
//   seed  (meta/model_seed, meta/dataset_seed); a row whose seeds are unknown
//         (None, stored as -1) is grouped by its run instead
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "classifiers/splits.h"
#include "trajectories/trajectory_dataset.h"

namespace lrid {

enum class GroupBy { kRow, kRun, kSeed };

// "row" | "run" | "seed"; ConfigError naming `what` and the value otherwise.
GroupBy parse_group_by(const std::string& name, const std::string& what = "group_by");
std::string group_by_name(GroupBy g);

// The group id (0..G-1, in order of first appearance) of every row of `data`.
// DataError naming the missing meta column (run_id for run; model_seed and
// dataset_seed for seed) when the dataset lacks it.
std::vector<int64_t> row_groups(const TrajectoryDataset& data, GroupBy group_by);

// Category-balanced splits by group (§6.9). Per split, a seeded draw of
// round(G_test / 4) groups (at least 1) from the G_test groups with a row in
// the test pool goes to the test side; the train side is the train pool less
// every row of those groups (so a group never straddles, even across disjoint
// pools: held-out architectures share seed groups with the rest). When the
// pools are shared, at least one group is left to train. Each side is then
// balanced by rule: n_test (n_train) rows per class drawn from its rows, by
// default the side's smallest per-class count (in a full factorial sweep every
// group holds every rule equally and nothing is dropped). DataError naming the
// class when a side lacks rows of a class, when the training side has fewer
// than min_train rows per class, or when there are too few groups to split.
std::vector<Split> grouped_splits(const std::vector<int64_t>& labels, const std::vector<int64_t>& groups,
                                  int64_t num_classes, int64_t num_splits, uint64_t seed,
                                  const std::vector<int64_t>& train_pool = {},
                                  const std::vector<int64_t>& test_pool = {}, int64_t n_train = -1,
                                  int64_t n_test = -1, int64_t min_train = 5,
                                  const std::vector<std::string>& class_names = {});

// Stratified group k-fold for the inner search (as scikit-learn's
// StratifiedGroupKFold, without shuffling): groups, largest first (ties: first
// appearance), each go to the fold that keeps the per-class shares of the folds
// most even (least summed variance over classes of fold_count / class_total;
// ties: the fold with fewer rows, then the lower index). Uses at most
// min(k, groups) folds, none empty, numbered in order of first use; returns the
// fold id of each position. DataError when fewer than two
// groups are given (no fold could be validated without a leak).
std::vector<int64_t> grouped_folds(const std::vector<int64_t>& labels, const std::vector<int64_t>& groups, int64_t k);

}  // namespace lrid

// Merging trajectory datasets: the shards of a sweep, each collated on its own
// (`lrid dataset build`), into one file (`lrid dataset merge`). Rows are
// concatenated in input order; the files must agree on everything that gives
// a row its meaning (observables, time points, metadata columns), and no run
// may appear in two of them.
#pragma once
#include <string>
#include <vector>

#include "trajectories/trajectory_dataset.h"

namespace lrid {

// `parts[i]` was read from `names[i]` (named in errors). Throws DataError when
// the parts disagree on obs_keys, T, time_epochs (other than in scale: record
// points at the same fractions of training, as runs of different lengths are
// collated; the first part's axis is kept) or the metadata columns and
// their kinds, or when a run_id occurs in two parts. Attributes: those every
// part agrees on are kept; runs and run_wall_time_s_sum are summed;
// run_lrid_commits, run_devices and sources are joined; merged_from lists the
// parts.
TrajectoryDataset merge_datasets(const std::vector<TrajectoryDataset>& parts, const std::vector<std::string>& names);

}  // namespace lrid

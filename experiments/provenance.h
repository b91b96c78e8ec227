// provenance.json of a results directory: what the experiments read (the
// dataset's path and size, rows per rule and per setting, its attributes) and
// which lrid ran them. `lrid report` shows it as its first table.
#pragma once
#include <filesystem>
#include <string>

#include "core/json.h"
#include "trajectories/trajectory_dataset.h"

namespace lrid {

// {dataset, rows, time_points, observables, rules: {rule: rows},
//  columns: {task|architecture|dataset|batch_size|condition: {value: rows}},
//  attributes: {...}, lrid_version, lrid_commit}, keys in that order.
Json provenance_json(const TrajectoryDataset& data, const std::string& path);
// Writes dir/provenance.json (atomically) for the dataset read from `path`.
void write_provenance(const std::filesystem::path& dir, const TrajectoryDataset& data, const std::string& path);

}  // namespace lrid

// `lrid dataset info`: a human-readable summary of a trajectory dataset (its
// size, rows per rule and per setting, non-finite rows, attributes).
#pragma once
#include <string>

#include "trajectories/trajectory_dataset.h"

namespace lrid {

std::string dataset_summary(const TrajectoryDataset& data);

}  // namespace lrid

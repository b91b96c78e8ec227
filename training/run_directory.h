// The run directory of `lrid train` before training starts: a directory that
// already holds a run must hold the same configuration (its drawn seeds are
// adopted, so a resumed unseeded run stays the same run), and a finished run
// is not redone. config.yaml is written once, resolved (every default and
// drawn seed written out).
#pragma once
#include <filesystem>

#include "training/config.h"

namespace lrid {

struct RunDirectoryState {
  bool existing = false;  // the directory already holds a run (config.yaml)
  bool finished = false;  // ... whose status.json says finished
};

// Inspects `run_dir`; adopts its drawn seeds into `config`. ConfigError when it
// holds a run with another configuration, IoError when its config.yaml is unreadable.
RunDirectoryState adopt_run_directory(Config& config, const std::filesystem::path& run_dir);
// Creates run_dir/checkpoints and, for a new run, writes run_dir/config.yaml.
void open_run_directory(const Config& config, const std::filesystem::path& run_dir, const RunDirectoryState& state);

}  // namespace lrid

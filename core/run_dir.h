// The run directory: resolved config.yaml, metrics.csv, checkpoints/, and
// status.json, which is written last (atomically) so that an interrupted run
// is never mistaken for a finished one. Every file is written to a temporary
// name and renamed into place.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lrid {

namespace fs = std::filesystem;

// Writes `content` to `path` atomically (temporary file in the same folder, fsync, rename).
void write_file_atomic(const fs::path& path, const std::string& content);
std::string read_file(const fs::path& path);

// status.json: a flat JSON object of strings and numbers.
struct RunStatus {
  std::string status;  // running | finished | diverged | failed
  std::map<std::string, std::string> fields;  // pre-rendered JSON values
  std::string to_json() const;
};
void write_status(const fs::path& run_dir, const RunStatus& status);
// The "status" field of run_dir/status.json, or "" when there is none.
std::string read_status(const fs::path& run_dir);

// Checkpoint files checkpoints/step_<N>.pt sorted by N.
std::vector<std::pair<int64_t, fs::path>> list_checkpoints(const fs::path& run_dir);

std::string json_string(const std::string& s);
std::string json_number(double v);

}  // namespace lrid

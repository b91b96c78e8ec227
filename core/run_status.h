// status.json of a run directory: written atomically at every state change and
// last of all when a run ends, so that an interrupted run is never mistaken for
// a finished one. Training writes it; sweeps, `lrid dataset build` and
// `lrid train` itself (resume or skip) read it.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/json.h"

namespace lrid {

struct RunStatus {
  std::string status;  // running | finished | diverged
  int64_t step = 0, total_steps = 0;
  std::string reason;  // diverged: why (the first non-finite value)
  // What a finished run reports (absent otherwise).
  struct Result {
    double test_accuracy = 0, test_loss = 0;
    double wall_time_s = 0, train_time_s = 0, record_time_s = 0, train_images_per_s = 0;
    std::string device;
    int64_t threads = 1;     // per rank
    int64_t world_size = 1;  // data-parallel ranks
    std::string lrid_version, lrid_commit;
  };
  std::optional<Result> result;

  bool finished() const { return status == "finished"; }
  // {"status": ..., then the other keys in alphabetical order}.
  Json to_json() const;
  // Throws DataError naming `what` for a malformed object.
  static RunStatus from_json(const Json& j, const std::string& what);
};

void write_status(const std::filesystem::path& run_dir, const RunStatus& status);
// The run's status; nullopt when it has no status.json. DataError when unreadable.
std::optional<RunStatus> read_status(const std::filesystem::path& run_dir);
// read_status(run_dir)->status, "" without status.json, "unreadable" when malformed.
std::string status_name(const std::filesystem::path& run_dir);

}  // namespace lrid

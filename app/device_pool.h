// GPUs for a sweep's concurrent runs: `lrid sweep --devices 0,1,2,3
// --gpus-per-run K` gives each running run K devices of its own (its child
// sees only them, through CUDA_VISIBLE_DEVICES) and returns them when it
// exits; a run with K > 1 trains data-parallel, one rank per device.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lrid {

class DevicePool {
 public:
  // `devices`: CUDA ordinals as the user names them ("0", "3"); none: no GPU
  // scheduling. ConfigError for an empty, negative, non-numeric or repeated
  // entry, or when per_run is not in [1, devices].
  DevicePool(std::vector<std::string> devices, int64_t per_run);
  bool enabled() const { return !all_.empty(); }
  int64_t per_run() const { return per_run_; }
  // Runs that can hold devices at once (every run when disabled: no limit).
  int64_t capacity() const;
  // The lowest-numbered free devices for one run, or none while too few are free.
  std::optional<std::vector<std::string>> acquire();
  void release(const std::vector<std::string>& devices);
  int64_t free_count() const { return static_cast<int64_t>(free_.size()); }

 private:
  std::vector<std::string> all_, free_;  // free_ in the user's order
  int64_t per_run_ = 1;
};

// "0,1,2" -> {"0","1","2"}; "" -> {}.
std::vector<std::string> parse_device_list(const std::string& text);

}  // namespace lrid

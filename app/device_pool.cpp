// GPU assignment for sweep runs. See device_pool.h.
#include "app/device_pool.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/errors.h"

namespace lrid {

std::vector<std::string> parse_device_list(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

DevicePool::DevicePool(std::vector<std::string> devices, int64_t per_run)
    : all_(std::move(devices)), per_run_(per_run) {
  std::set<std::string> seen;
  for (const auto& d : all_) {
    if (d.empty() || d.find_first_not_of("0123456789") != std::string::npos)
      throw ConfigError(fmt::format("--devices: '{}' is not a CUDA device number", d));
    if (!seen.insert(d).second) throw ConfigError(fmt::format("--devices: device {} is listed twice", d));
  }
  if (per_run_ < 1) throw ConfigError(fmt::format("--gpus-per-run {}: must be at least 1", per_run_));
  if (!all_.empty() && per_run_ > static_cast<int64_t>(all_.size()))
    throw ConfigError(fmt::format("--gpus-per-run {}: more than the {} devices listed", per_run_, all_.size()));
  if (all_.empty() && per_run_ > 1) throw ConfigError("--gpus-per-run needs --devices");
  free_ = all_;
}

int64_t DevicePool::capacity() const {
  return enabled() ? static_cast<int64_t>(all_.size()) / per_run_ : INT64_MAX;
}

std::optional<std::vector<std::string>> DevicePool::acquire() {
  if (!enabled()) return std::vector<std::string>{};
  if (static_cast<int64_t>(free_.size()) < per_run_) return std::nullopt;
  std::vector<std::string> got(free_.begin(), free_.begin() + per_run_);
  free_.erase(free_.begin(), free_.begin() + per_run_);
  return got;
}

void DevicePool::release(const std::vector<std::string>& devices) {
  for (const auto& d : devices) {
    if (std::find(all_.begin(), all_.end(), d) == all_.end() || std::find(free_.begin(), free_.end(), d) != free_.end())
      throw std::logic_error(fmt::format("DevicePool: device {} was not handed out", d));
    free_.push_back(d);
  }
  // Back in the user's order, so that assignment stays reproducible.
  std::vector<std::string> ordered;
  for (const auto& d : all_)
    if (std::find(free_.begin(), free_.end(), d) != free_.end()) ordered.push_back(d);
  free_ = ordered;
}

}  // namespace lrid

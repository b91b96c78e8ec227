// status.json. See run_status.h.
#include "core/run_status.h"

#include <fmt/format.h>

#include <map>

#include "core/errors.h"

namespace lrid {

Json RunStatus::to_json() const {
  std::map<std::string, Json> fields = {{"step", step}, {"total_steps", total_steps}};
  if (!reason.empty()) fields["reason"] = reason;
  if (result) {
    const Result& r = *result;
    fields.insert({{"test_accuracy", json_real(r.test_accuracy)},
                   {"test_loss", json_real(r.test_loss)},
                   {"wall_time_s", json_real(r.wall_time_s)},
                   {"train_time_s", json_real(r.train_time_s)},
                   {"record_time_s", json_real(r.record_time_s)},
                   {"train_images_per_s", json_real(r.train_images_per_s)},
                   {"device", r.device},
                   {"threads", r.threads},
                   {"world_size", r.world_size},
                   {"lrid_version", r.lrid_version},
                   {"lrid_commit", r.lrid_commit}});
  }
  Json j = {{"status", status}};
  for (auto& [k, v] : fields) j[k] = std::move(v);
  return j;
}

RunStatus RunStatus::from_json(const Json& j, const std::string& what) {
  RunStatus s;
  try {
    s.status = json_at(j, "status", what).get<std::string>();
    s.step = j.value("step", int64_t{0});
    s.total_steps = j.value("total_steps", int64_t{0});
    s.reason = j.value("reason", std::string());
    if (j.contains("test_accuracy")) {
      Result r;
      r.test_accuracy = json_to_real(j.at("test_accuracy"), what);
      r.test_loss = json_to_real(j.value("test_loss", Json(nullptr)), what);
      r.wall_time_s = json_to_real(j.value("wall_time_s", Json(nullptr)), what);
      r.train_time_s = json_to_real(j.value("train_time_s", Json(nullptr)), what);
      r.record_time_s = json_to_real(j.value("record_time_s", Json(nullptr)), what);
      r.train_images_per_s = json_to_real(j.value("train_images_per_s", Json(nullptr)), what);
      r.device = j.value("device", std::string());
      r.threads = j.value("threads", int64_t{1});
      r.world_size = j.value("world_size", int64_t{1});
      r.lrid_version = j.value("lrid_version", std::string());
      r.lrid_commit = j.value("lrid_commit", std::string());
      s.result = r;
    }
  } catch (const Json::exception& e) {
    throw DataError(fmt::format("{}: malformed run status ({})", what, e.what()));
  }
  return s;
}

void write_status(const std::filesystem::path& run_dir, const RunStatus& status) {
  write_json(run_dir / "status.json", status.to_json());
}

std::optional<RunStatus> read_status(const std::filesystem::path& run_dir) {
  const auto path = run_dir / "status.json";
  if (!std::filesystem::exists(path)) return std::nullopt;
  return RunStatus::from_json(read_json(path), path.string());
}

std::string status_name(const std::filesystem::path& run_dir) {
  try {
    auto s = read_status(run_dir);
    return s ? s->status : "";
  } catch (const Error&) {
    return "unreadable";
  }
}

}  // namespace lrid

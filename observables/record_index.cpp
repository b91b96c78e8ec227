// observables/index.json. See record_index.h.
#include "observables/record_index.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace lrid {
namespace {

Json optional_real(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

std::optional<double> read_optional_real(const Json& j, const std::string& what) {
  if (j.is_null()) return std::nullopt;
  return json_to_real(j, what);
}

}  // namespace

Json RecordIndex::to_json() const {
  Json conds = Json::array(), pts = Json::array(), lays = Json::array();
  for (const auto& c : conditions)
    conds.push_back({{"name", c.name},
                     {"file", c.file},
                     {"obs_frac", optional_real(c.frac)},
                     {"obs_stddev", optional_real(c.stddev)},
                     {"obs_seed", c.seed}});
  for (const auto& p : points) pts.push_back({{"point", p.point}, {"step", p.step}, {"epoch", p.epoch}});
  for (const auto& l : layers)
    lays.push_back({{"name", l.name}, {"index", l.index}, {"position", l.position}, {"kind", l.kind}, {"weights", l.weights}});
  return {{"run", run},
          {"conditions", conds},
          {"points", pts},
          {"layers", lays},
          {"observables", observables},
          {"probe_size", probe_size},
          {"sample_reduction", sample_reduction},
          {"gradavg_path", gradavg_path},
          {"weight_norm_mode", weight_norm_mode}};
}

RecordIndex RecordIndex::from_json(const Json& j, const std::string& what) {
  RecordIndex x;
  try {
    x.run = j.value("run", std::string());
    for (const auto& c : j.at("conditions"))
      x.conditions.push_back({c.at("name").get<std::string>(), c.at("file").get<std::string>(),
                              read_optional_real(c.value("obs_frac", Json(nullptr)), what),
                              read_optional_real(c.value("obs_stddev", Json(nullptr)), what), c.value("obs_seed", int64_t{0})});
    for (const auto& p : j.at("points"))
      x.points.push_back({p.at("point").get<int64_t>(), p.at("step").get<int64_t>(), json_to_real(p.at("epoch"), what)});
    for (const auto& l : j.at("layers"))
      x.layers.push_back({l.at("name").get<std::string>(), l.at("position").get<std::string>(),
                          l.value("kind", std::string()), l.at("index").get<int64_t>(), l.value("weights", int64_t{-1})});
    x.observables = j.value("observables", std::vector<std::string>{});
    x.probe_size = j.value("probe_size", int64_t{0});
    x.sample_reduction = j.value("sample_reduction", std::string());
    x.gradavg_path = j.value("gradavg_path", std::string());
    x.weight_norm_mode = j.value("weight_norm_mode", std::string());
  } catch (const Json::exception& e) {
    throw DataError(fmt::format("{}: malformed observables index ({})", what, e.what()));
  }
  return x;
}

RecordIndex read_record_index(const std::filesystem::path& run_dir) {
  const auto path = run_dir / "observables" / "index.json";
  if (!std::filesystem::exists(path)) throw DataError(fmt::format("{}: missing", path.string()));
  return RecordIndex::from_json(read_json(path), path.string());
}

}  // namespace lrid

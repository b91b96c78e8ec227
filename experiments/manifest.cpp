// manifest.json. See manifest.h.
#include "experiments/manifest.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "core/json.h"

namespace lrid {

const std::vector<std::string>& experiment_names() {
  static const std::vector<std::string> n = {"separation", "importance", "subsampling", "noise", "generalization", "prefix"};
  return n;
}

void write_manifest(const std::filesystem::path& dir, const ExperimentOutput& out) {
  Json figures = Json::array(), tables = Json::array(), findings = Json::array();
  for (const auto& f : out.figures) figures.push_back({{"file", f.file}, {"title", f.title}, {"caption", f.caption}});
  for (const auto& t : out.tables) tables.push_back({{"file", t.file}, {"title", t.title}});
  for (const auto& f : out.findings)
    findings.push_back({{"finding", f.finding}, {"source", f.source}, {"measured", f.measured}, {"verdict", f.verdict}});
  write_json(dir / "manifest.json", {{"name", out.name},
                                     {"title", out.title},
                                     {"description", out.description},
                                     {"wall_time_s", json_real(out.wall_time_s)},
                                     {"figures", figures},
                                     {"tables", tables},
                                     {"findings", findings},
                                     {"notes", out.notes}});
}

ExperimentOutput read_manifest(const std::filesystem::path& dir) {
  const auto path = dir / "manifest.json";
  const Json j = read_json(path);
  ExperimentOutput o;
  try {
    o.name = j.at("name").get<std::string>();
    o.title = j.at("title").get<std::string>();
    o.description = j.at("description").get<std::string>();
    o.wall_time_s = json_to_real(j.at("wall_time_s"), path.string());
    for (const auto& f : j.at("figures"))
      o.figures.push_back({f.at("file").get<std::string>(), f.at("title").get<std::string>(),
                           f.at("caption").get<std::string>()});
    for (const auto& t : j.at("tables")) o.tables.push_back({t.at("file").get<std::string>(), t.at("title").get<std::string>()});
    for (const auto& f : j.at("findings"))
      o.findings.push_back({f.at("finding").get<std::string>(), f.at("source").get<std::string>(),
                            f.at("measured").get<std::string>(), f.at("verdict").get<std::string>()});
    o.notes = j.at("notes").get<std::vector<std::string>>();
  } catch (const Json::exception& e) {
    throw DataError(fmt::format("{}: not an lrid experiment manifest ({})", path.string(), e.what()));
  }
  return o;
}

}  // namespace lrid

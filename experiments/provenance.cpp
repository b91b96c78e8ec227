// provenance.json. See provenance.h.
#include "experiments/provenance.h"

#include <map>
#include <vector>

#include "core/version.h"

namespace lrid {
namespace {

// {value: count} of `values`, values sorted.
Json value_counts(const std::vector<std::string>& values) {
  std::map<std::string, int64_t> c;
  for (const auto& v : values) ++c[v];
  Json j = Json::object();
  for (const auto& [k, v] : c) j[k] = v;
  return j;
}

// Rows per value of the settings' meta columns that the dataset has.
Json column_counts(const TrajectoryDataset& d) {
  Json columns = Json::object();
  for (const char* key : {"task", "architecture", "dataset", "batch_size", "condition"}) {
    if (!d.meta.count(key)) continue;
    std::vector<std::string> values;
    for (int64_t i = 0; i < d.rows(); ++i) values.push_back(d.meta.at(key).as_string(i));
    columns[key] = value_counts(values);
  }
  return columns;
}

}  // namespace

Json provenance_json(const TrajectoryDataset& d, const std::string& path) {
  Json attributes = Json::object();
  for (const auto& [k, v] : d.attributes) attributes[k] = v;
  return {{"dataset", path},
          {"rows", d.rows()},
          {"time_points", d.time_points()},
          {"observables", d.obs_keys.size()},
          {"rules", value_counts(d.y)},
          {"columns", column_counts(d)},
          {"attributes", attributes},
          {"lrid_version", version()},
          {"lrid_commit", git_commit()}};
}

void write_provenance(const std::filesystem::path& dir, const TrajectoryDataset& data, const std::string& path) {
  write_json(dir / "provenance.json", provenance_json(data, path));
}

}  // namespace lrid

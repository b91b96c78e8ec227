// observables/index.json of a run: what the recorder measured (the measurement
// conditions and their stream files, the record points, the recordable layers,
// the 45 observable names and the probe settings). The recorder writes it when
// a run starts; `lrid dataset build` reads it back with its streams.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace lrid {

struct IndexCondition {
  std::string name, file;        // "full", "frac0.01", ...; its stream, relative to observables/
  std::optional<double> frac, stddev;  // none: every unit / no noise
  int64_t seed = 0;
};

struct IndexPoint {
  int64_t point = 0, step = 0;
  double epoch = 0;
};

struct IndexLayer {
  std::string name, position, kind;  // position early|middle|deep, kind conv|dense
  int64_t index = 0, weights = -1;   // weights: W's element count (-1 when unknown)
};

struct RecordIndex {
  std::string run;
  std::vector<IndexCondition> conditions;
  std::vector<IndexPoint> points;
  std::vector<IndexLayer> layers;
  std::vector<std::string> observables;
  int64_t probe_size = 0;
  std::string sample_reduction, gradavg_path, weight_norm_mode;

  Json to_json() const;
  // DataError naming `what` for a malformed index.
  static RecordIndex from_json(const Json& j, const std::string& what);
};

// run_dir/observables/index.json; DataError naming the file when it is missing or malformed.
RecordIndex read_record_index(const std::filesystem::path& run_dir);

}  // namespace lrid

// JSON helpers. See json.h.
#include "core/json.h"

#include <fmt/format.h>

#include <cmath>

#include "core/errors.h"
#include "core/files.h"

namespace lrid {

Json json_real(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

Json json_real_or_null(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

double json_to_real(const Json& j, const std::string& what) {
  if (j.is_number()) return j.get<double>();
  if (j.is_null()) return std::nan("");
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "NaN") return std::nan("");
    if (s == "Infinity") return INFINITY;
    if (s == "-Infinity") return -INFINITY;
  }
  throw DataError(fmt::format("{}: expected a number, got {}", what, j.dump()));
}

std::string json_text(const Json& j) { return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n"; }

void write_json(const std::filesystem::path& path, const Json& j) { write_file_atomic(path, json_text(j)); }

Json read_json(const std::filesystem::path& path) {
  const std::string text = read_file(path);
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {  // parse_error, and out_of_range for a number beyond double (1E400)
    throw DataError(fmt::format("{}: not valid JSON ({})", path.string(), e.what()));
  }
}

const Json& json_at(const Json& j, const std::string& key, const std::string& what) {
  if (!j.is_object() || !j.contains(key)) throw DataError(fmt::format("{}: '{}' is missing", what, key));
  return j.at(key);
}

}  // namespace lrid

// JSON files of lrid (status.json, observables/index.json, results.json,
// manifest.json, provenance.json, `lrid stats --format json`): one reader and
// one writer for all of them, nlohmann::json (Debian's nlohmann-json3-dev).
// Objects keep their keys in insertion order, so files read like their schema.
//
// Non-finite numbers: JSON has none. lrid writes them as the strings "NaN",
// "Infinity" and "-Infinity" where a value must survive a round trip
// (json_real), or as null where "no value" is what it means (json_real_or_null);
// json_to_real reads both conventions back.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace lrid {

using Json = nlohmann::ordered_json;

Json json_real(double v);          // a number, or "NaN" / "Infinity" / "-Infinity"
Json json_real_or_null(double v);  // a number, or null
// A number, null (NaN) or one of the three strings above; throws DataError naming `what` otherwise.
double json_to_real(const Json& j, const std::string& what);

// Two-space indentation, UTF-8 as is, a final newline.
std::string json_text(const Json& j);
// Writes json_text(j) to `path` atomically.
void write_json(const std::filesystem::path& path, const Json& j);
// Parses a file; throws IoError when it cannot be read and DataError, naming
// the file and the position, when it is not JSON.
Json read_json(const std::filesystem::path& path);
// Member `key` of object `j`, or a DataError naming `what` and the key when absent.
const Json& json_at(const Json& j, const std::string& key, const std::string& what);

}  // namespace lrid

// Typed parameter schemas for the YAML configuration. Every registered
// implementation (a dataset, a model, a rule, an optimizer, ...) declares its
// parameters with type, default and range; parse_params validates a YAML map
// against the schema before any compute and reports the first problem in one
// line naming the file, the dotted key and, where yaml-cpp knows it, the line.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace lrid {

enum class ParamType { kInt, kReal, kBool, kString, kRealList, kIntList, kStringList };
const char* param_type_name(ParamType t);

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kReal;
  YAML::Node default_value;        // null: required (unless optional)
  bool optional = false;           // may be absent with no default
  std::optional<double> min, max;  // numeric bounds (element-wise for lists)
  bool min_open = false, max_open = false;
  std::vector<std::string> choices;  // allowed strings (element-wise for lists)
  std::string help;

  ParamSpec& at_least(double v) { min = v; min_open = false; return *this; }
  ParamSpec& above(double v) { min = v; min_open = true; return *this; }
  ParamSpec& at_most(double v) { max = v; max_open = false; return *this; }
  ParamSpec& below(double v) { max = v; max_open = true; return *this; }
  ParamSpec& one_of(std::vector<std::string> c) { choices = std::move(c); return *this; }
  ParamSpec& describe(std::string h) { help = std::move(h); return *this; }
};

ParamSpec int_param(const std::string& name, int64_t def);
ParamSpec real_param(const std::string& name, double def);
ParamSpec bool_param(const std::string& name, bool def);
ParamSpec string_param(const std::string& name, const std::string& def);
ParamSpec reals_param(const std::string& name, const std::vector<double>& def);
ParamSpec ints_param(const std::string& name, const std::vector<int64_t>& def);
ParamSpec strings_param(const std::string& name, const std::vector<std::string>& def);
ParamSpec required_param(const std::string& name, ParamType type);
ParamSpec optional_param(const std::string& name, ParamType type);

using Schema = std::vector<ParamSpec>;

// A YAML scalar holding `v` in its shortest round-trip form (0.1, not 0.10000000000000001).
YAML::Node real_node(double v);

// Where a YAML node came from, for error messages.
struct ConfigSource {
  std::string file;                        // config file path
  std::set<std::string> overridden;        // dotted keys set on the command line
  std::string locate(const std::string& key, const YAML::Node& node) const;
};

// Validated parameter values of one section, with defaults filled in.
class Params {
 public:
  // Copies are deep: yaml-cpp nodes are shared handles, and assigning through
  // one would otherwise change every copy of a configuration.
  Params() = default;
  Params(const Params& other);
  Params& operator=(const Params& other);
  Params(Params&&) = default;
  Params& operator=(Params&&) = default;

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  int64_t get_int(const std::string& name) const;
  double get_real(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  std::string get_string(const std::string& name) const;
  std::vector<double> get_reals(const std::string& name) const;
  std::vector<int64_t> get_ints(const std::string& name) const;
  std::vector<std::string> get_strings(const std::string& name) const;
  // Sets or replaces a value (used when a default is resolved from another section).
  void set(const std::string& name, const YAML::Node& value);
  YAML::Node to_yaml() const;  // keys in schema order

 private:
  friend Params parse_params(const Schema&, const YAML::Node&, const ConfigSource&,
                             const std::string&);
  const YAML::Node& raw(const std::string& name) const;
  std::vector<std::string> order_;  // the schema's parameter names, in schema order
  std::map<std::string, YAML::Node> values_;
};

// Validates `node` (a map, or null for "all defaults") against `schema`.
// `prefix` is the dotted path of the map, e.g. "optimizer.parameters".
Params parse_params(const Schema& schema, const YAML::Node& node, const ConfigSource& source,
                    const std::string& prefix);

// One-line description of a schema for `--help`-style listings.
std::string describe_schema(const Schema& schema);

}  // namespace lrid

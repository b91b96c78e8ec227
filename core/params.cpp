// Parameter schema validation. See params.h.
#include "core/params.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "core/errors.h"

namespace lrid {
namespace {

ParamSpec make(const std::string& name, ParamType type, YAML::Node def) {
  ParamSpec s;
  s.name = name;
  s.type = type;
  s.default_value = def;
  return s;
}

bool parse_int(const std::string& text, int64_t* out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

bool parse_real(const std::string& text, double* out) {
  if (text.empty()) return false;
  std::string t = text;
  if (t == ".inf" || t == "inf") { *out = INFINITY; return true; }
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (errno == ERANGE || *end != '\0' || std::isnan(v)) return false;
  *out = v;
  return true;
}

bool parse_bool(const std::string& text, bool* out) {
  static const std::map<std::string, bool> words = {
      {"true", true}, {"false", false}, {"True", true}, {"False", false},
      {"yes", true},  {"no", false},    {"on", true},   {"off", false}};
  auto it = words.find(text);
  if (it == words.end()) return false;
  *out = it->second;
  return true;
}

std::string bounds_text(const ParamSpec& s) {
  std::string lo = s.min ? fmt::format("{}{}", s.min_open ? ">" : ">=", *s.min) : "";
  std::string hi = s.max ? fmt::format("{}{}", s.max_open ? "<" : "<=", *s.max) : "";
  if (!lo.empty() && !hi.empty()) return lo + " and " + hi;
  return lo + hi;
}

// Checks one scalar element; returns an error text or "".
std::string check_scalar(const ParamSpec& s, ParamType elem, const YAML::Node& n) {
  if (!n.IsScalar()) return fmt::format("expected {}, got a {}", param_type_name(elem),
                                        n.IsSequence() ? "list" : n.IsMap() ? "map" : "null");
  const std::string& text = n.Scalar();
  double value = 0;
  switch (elem) {
    case ParamType::kInt: {
      int64_t v;
      if (!parse_int(text, &v)) return fmt::format("expected an integer, got '{}'", text);
      value = static_cast<double>(v);
      break;
    }
    case ParamType::kReal:
      if (!parse_real(text, &value)) return fmt::format("expected a number, got '{}'", text);
      break;
    case ParamType::kBool: {
      bool b;
      if (!parse_bool(text, &b)) return fmt::format("expected true or false, got '{}'", text);
      return "";
    }
    default:
      if (!s.choices.empty() &&
          std::find(s.choices.begin(), s.choices.end(), text) == s.choices.end())
        return fmt::format("'{}' is not one of: {}", text, fmt::join(s.choices, ", "));
      return "";
  }
  bool bad = (s.min && (s.min_open ? value <= *s.min : value < *s.min)) ||
             (s.max && (s.max_open ? value >= *s.max : value > *s.max));
  if (bad) return fmt::format("{} is out of range (must be {})", text, bounds_text(s));
  return "";
}

ParamType element_type(ParamType t) {
  switch (t) {
    case ParamType::kRealList: return ParamType::kReal;
    case ParamType::kIntList: return ParamType::kInt;
    case ParamType::kStringList: return ParamType::kString;
    default: return t;
  }
}

bool is_list(ParamType t) {
  return t == ParamType::kRealList || t == ParamType::kIntList || t == ParamType::kStringList;
}

}  // namespace

const char* param_type_name(ParamType t) {
  switch (t) {
    case ParamType::kInt: return "an integer";
    case ParamType::kReal: return "a number";
    case ParamType::kBool: return "a boolean";
    case ParamType::kString: return "a string";
    case ParamType::kRealList: return "a list of numbers";
    case ParamType::kIntList: return "a list of integers";
    case ParamType::kStringList: return "a list of strings";
  }
  return "?";
}

ParamSpec int_param(const std::string& n, int64_t d) { return make(n, ParamType::kInt, YAML::Node(d)); }
YAML::Node real_node(double v) { return YAML::Node(fmt::format("{}", v)); }

ParamSpec real_param(const std::string& n, double d) { return make(n, ParamType::kReal, real_node(d)); }
ParamSpec bool_param(const std::string& n, bool d) { return make(n, ParamType::kBool, YAML::Node(d)); }
ParamSpec string_param(const std::string& n, const std::string& d) {
  return make(n, ParamType::kString, YAML::Node(d));
}
ParamSpec reals_param(const std::string& n, const std::vector<double>& d) {
  YAML::Node node(YAML::NodeType::Sequence);
  for (double v : d) node.push_back(real_node(v));
  node.SetStyle(YAML::EmitterStyle::Flow);  // [a, b]: round-trips through YAML text unchanged
  return make(n, ParamType::kRealList, node);
}
ParamSpec ints_param(const std::string& n, const std::vector<int64_t>& d) {
  YAML::Node node(YAML::NodeType::Sequence);
  for (int64_t v : d) node.push_back(v);
  node.SetStyle(YAML::EmitterStyle::Flow);  // [a, b]: round-trips through YAML text unchanged
  return make(n, ParamType::kIntList, node);
}
ParamSpec strings_param(const std::string& n, const std::vector<std::string>& d) {
  YAML::Node node(YAML::NodeType::Sequence);
  for (const auto& v : d) node.push_back(v);
  node.SetStyle(YAML::EmitterStyle::Flow);  // [a, b]: round-trips through YAML text unchanged
  return make(n, ParamType::kStringList, node);
}
ParamSpec required_param(const std::string& n, ParamType t) { return make(n, t, YAML::Node()); }
ParamSpec optional_param(const std::string& n, ParamType t) {
  ParamSpec s = make(n, t, YAML::Node());
  s.optional = true;
  return s;
}

std::string ConfigSource::locate(const std::string& key, const YAML::Node& node) const {
  for (const auto& o : overridden) {
    if (key == o || key.rfind(o + ".", 0) == 0) return fmt::format("command-line override '{}'", o);
  }
  if (node.IsDefined() && !node.Mark().is_null())
    return fmt::format("{}:{}: key '{}'", file, node.Mark().line + 1, key);
  return fmt::format("{}: key '{}'", file, key);
}

Params parse_params(const Schema& schema, const YAML::Node& node, const ConfigSource& source,
                    const std::string& prefix) {
  Params out;
  if (node.IsDefined() && !node.IsNull() && !node.IsMap())
    throw ConfigError(fmt::format("{}: expected a map of parameters", source.locate(prefix, node)));
  // Unknown keys first: a typo should not be reported as a missing required key.
  if (node.IsMap()) {
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      bool known = std::any_of(schema.begin(), schema.end(),
                               [&](const ParamSpec& s) { return s.name == key; });
      if (!known) {
        std::vector<std::string> names;
        for (const auto& s : schema) names.push_back(s.name);
        throw ConfigError(fmt::format("{}: unknown key (known: {})",
                                      source.locate(prefix + "." + key, kv.first),
                                      names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
      }
    }
  }
  for (const auto& s : schema) out.order_.push_back(s.name);
  for (const auto& s : schema) {
    std::string key = prefix + "." + s.name;
    YAML::Node value = node.IsMap() ? node[s.name] : YAML::Node();
    if (!value.IsDefined() || value.IsNull()) {
      if (s.default_value.IsDefined() && !s.default_value.IsNull()) {
        out.values_.emplace(s.name, YAML::Clone(s.default_value));
      } else if (!s.optional) {
        throw ConfigError(fmt::format("{}: required key is missing ({})", source.locate(key, node),
                                      param_type_name(s.type)));
      }
      continue;
    }
    std::string err;
    if (is_list(s.type)) {
      if (!value.IsSequence()) {
        err = fmt::format("expected {}", param_type_name(s.type));
      } else {
        for (std::size_t i = 0; i < value.size() && err.empty(); ++i) {
          std::string e = check_scalar(s, element_type(s.type), value[i]);
          if (!e.empty()) err = fmt::format("element {}: {}", i, e);
        }
      }
    } else {
      err = check_scalar(s, s.type, value);
    }
    if (!err.empty()) throw ConfigError(fmt::format("{}: {}", source.locate(key, value), err));
    out.values_.emplace(s.name, YAML::Clone(value));
  }
  return out;
}

const YAML::Node& Params::raw(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw ConfigError(fmt::format("parameter '{}' is not set", name));
  return it->second;
}

int64_t Params::get_int(const std::string& n) const {
  int64_t v = 0;
  parse_int(raw(n).Scalar(), &v);
  return v;
}
double Params::get_real(const std::string& n) const {
  double v = 0;
  parse_real(raw(n).Scalar(), &v);
  return v;
}
bool Params::get_bool(const std::string& n) const {
  bool v = false;
  parse_bool(raw(n).Scalar(), &v);
  return v;
}
std::string Params::get_string(const std::string& n) const { return raw(n).Scalar(); }
std::vector<double> Params::get_reals(const std::string& n) const {
  std::vector<double> out;
  for (const auto& e : raw(n)) { double v = 0; parse_real(e.Scalar(), &v); out.push_back(v); }
  return out;
}
std::vector<int64_t> Params::get_ints(const std::string& n) const {
  std::vector<int64_t> out;
  for (const auto& e : raw(n)) { int64_t v = 0; parse_int(e.Scalar(), &v); out.push_back(v); }
  return out;
}
std::vector<std::string> Params::get_strings(const std::string& n) const {
  std::vector<std::string> out;
  for (const auto& e : raw(n)) out.push_back(e.Scalar());
  return out;
}

Params::Params(const Params& other) : order_(other.order_) {
  for (const auto& [k, v] : other.values_) values_.emplace(k, YAML::Clone(v));
}

Params& Params::operator=(const Params& other) {
  if (this != &other) {
    Params copy(other);
    *this = std::move(copy);
  }
  return *this;
}

void Params::set(const std::string& name, const YAML::Node& value) {
  if (std::find(order_.begin(), order_.end(), name) == order_.end()) order_.push_back(name);
  // erase + emplace: assigning to the existing node would write through a shared handle.
  values_.erase(name);
  values_.emplace(name, YAML::Clone(value));
}

YAML::Node Params::to_yaml() const {
  YAML::Node out(YAML::NodeType::Map);
  for (const auto& name : order_)
    if (values_.count(name)) out[name] = YAML::Clone(values_.at(name));
  for (const auto& [name, v] : values_)
    if (std::find(order_.begin(), order_.end(), name) == order_.end()) out[name] = YAML::Clone(v);
  return out;
}

std::string describe_schema(const Schema& schema) {
  std::vector<std::string> parts;
  for (const auto& s : schema) {
    std::string def = "required";
    if (s.default_value.IsDefined() && !s.default_value.IsNull()) {
      YAML::Emitter e;
      e << YAML::Flow << s.default_value;
      def = e.c_str();
    } else if (s.optional) {
      def = "optional";
    }
    parts.push_back(fmt::format("{}={}", s.name, def));
  }
  return fmt::format("{}", fmt::join(parts, " "));
}

}  // namespace lrid

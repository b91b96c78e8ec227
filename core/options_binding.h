// The one options idiom of lrid: a typed options struct (plain fields with
// defaults) bound to its parameter schema. Each field is declared once, with
// its parameter's name, checks and help; the Schema (which validates a YAML
// section or key=value list, and which `lrid info` and a run's resolved
// config.yaml show) is derived from the bindings, the defaults from a
// prototype struct, and parse() fills a struct from validated Params. So the
// schema, the defaults and the struct cannot drift apart, and no code outside
// a binding reads Params by name.
//
//   OptionsBinding<RunOptions> b;
//   b.add("batch_size", &RunOptions::batch_size).at_least(1).describe("training batch size");
//   RunOptions o = b.parse(parse_params(b.schema(), node, source, "run.parameters"));
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/params.h"

namespace lrid {

// How a field type maps to a parameter: its ParamSpec with the prototype's value
// as default (field_param), and its value read back (field_value).
inline ParamSpec field_param(const std::string& n, int64_t d) { return int_param(n, d); }
inline ParamSpec field_param(const std::string& n, uint64_t d) { return int_param(n, static_cast<int64_t>(d)); }
inline ParamSpec field_param(const std::string& n, double d) { return real_param(n, d); }
inline ParamSpec field_param(const std::string& n, bool d) { return bool_param(n, d); }
inline ParamSpec field_param(const std::string& n, const std::string& d) { return string_param(n, d); }
inline ParamSpec field_param(const std::string& n, const std::vector<double>& d) { return reals_param(n, d); }
inline ParamSpec field_param(const std::string& n, const std::vector<int64_t>& d) { return ints_param(n, d); }
inline ParamSpec field_param(const std::string& n, const std::vector<std::string>& d) { return strings_param(n, d); }

template <class T>
T field_value(const Params& p, const std::string& n);
template <>
inline int64_t field_value(const Params& p, const std::string& n) { return p.get_int(n); }
template <>  // seeds: a non-negative integer parameter
inline uint64_t field_value(const Params& p, const std::string& n) { return static_cast<uint64_t>(p.get_int(n)); }
template <>
inline double field_value(const Params& p, const std::string& n) { return p.get_real(n); }
template <>
inline bool field_value(const Params& p, const std::string& n) { return p.get_bool(n); }
template <>
inline std::string field_value(const Params& p, const std::string& n) { return p.get_string(n); }
template <>
inline std::vector<double> field_value(const Params& p, const std::string& n) { return p.get_reals(n); }
template <>
inline std::vector<int64_t> field_value(const Params& p, const std::string& n) { return p.get_ints(n); }
template <>
inline std::vector<std::string> field_value(const Params& p, const std::string& n) { return p.get_strings(n); }

template <class O>
class OptionsBinding {
 public:
  // A field of O, reached through an accessor (for nested fields) or a member pointer.
  template <class T>
  using Access = std::function<T&(O&)>;

  // Not explicit, so that an aggregate holding a binding can leave it to `{}`.
  OptionsBinding() = default;
  explicit OptionsBinding(O prototype) : prototype_(std::move(prototype)) {}

  // Binds `field` to parameter `name` with the prototype's value as its default; the
  // returned spec takes the checks (.at_least(), .one_of(), .describe(), ...).
  template <class T>
  ParamSpec& add(const std::string& name, Access<T> field) {
    return bind<T>(field_param(name, field(prototype_)), field, Presence::kAlways);
  }
  template <class T>
  ParamSpec& add(const std::string& name, T O::*field) {
    return add<T>(name, member(field));
  }
  // A parameter without a default that the user must give.
  template <class T>
  ParamSpec& require(const std::string& name, T O::*field) {
    return bind<T>(without_default(field_param(name, T{}), false), member(field), Presence::kAlways);
  }
  // A parameter without a default that may be absent; then the field keeps the prototype's value.
  template <class T>
  ParamSpec& optional(const std::string& name, T O::*field) {
    return bind<T>(without_default(field_param(name, T{}), true), member(field), Presence::kMaybe);
  }

  // A field held in another form than its parameter: the parameter has type Raw and
  // default `raw_default`, and `convert` (which may throw ConfigError) gives the field's value.
  template <class Raw, class T>
  ParamSpec& add_converted(const std::string& name, T O::*field, const Raw& raw_default,
                           std::function<T(const Raw&)> convert) {
    const Access<T> access = member(field);
    setters_.push_back([name, access, convert](const Params& p, O& o) { access(o) = convert(field_value<Raw>(p, name)); });
    specs_.push_back(field_param(name, raw_default));
    return specs_.back();
  }

  // The parameters in binding order.
  Schema schema() const { return Schema(specs_.begin(), specs_.end()); }
  // The prototype with every bound field set from `params` (validated against schema()).
  O parse(const Params& params) const {
    O o = prototype_;
    for (const auto& set : setters_) set(params, o);
    return o;
  }
  const O& prototype() const { return prototype_; }

 private:
  enum class Presence { kAlways, kMaybe };
  // A required (no default) or optional (may be absent) parameter of the spec's type.
  static ParamSpec without_default(ParamSpec spec, bool optional) {
    spec.default_value = YAML::Node();
    spec.optional = optional;
    return spec;
  }
  template <class T>
  static Access<T> member(T O::*field) {
    return [field](O& o) -> T& { return o.*field; };
  }
  template <class T>
  ParamSpec& bind(ParamSpec spec, Access<T> field, Presence presence) {
    const std::string name = spec.name;
    setters_.push_back([name, field, presence](const Params& p, O& o) {
      if (presence == Presence::kAlways || p.has(name)) field(o) = field_value<T>(p, name);
    });
    specs_.push_back(std::move(spec));
    return specs_.back();
  }

  O prototype_{};
  std::deque<ParamSpec> specs_;  // a deque: add() hands out references that later adds keep valid
  std::vector<std::function<void(const Params&, O&)>> setters_;
};

// The binding that `declare` fills, built once on first use:
//   void declare_run(OptionsBinding<RunOptions>& b) { b.add(...); ... }
//   const OptionsBinding<RunOptions>& run_binding() { return bound_once<RunOptions, declare_run>(); }
template <class O, void (*Declare)(OptionsBinding<O>&)>
const OptionsBinding<O>& bound_once() {
  static const OptionsBinding<O> binding = [] {
    OptionsBinding<O> b;
    Declare(b);
    return b;
  }();
  return binding;
}

}  // namespace lrid

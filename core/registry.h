// Name -> implementation registries for the `type:` of each config section
// (TorchFort style): every entry carries its parameter schema, a one-line
// description and a factory. Aliases map alternative names (e.g. the original
// labels `feedback`, `information`) to canonical ones.
#pragma once
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/params.h"

namespace lrid {

class RegistryBase {
 public:
  explicit RegistryBase(std::string section) : section_(std::move(section)) {}
  virtual ~RegistryBase() = default;
  const std::string& section() const { return section_; }
  virtual const Schema& schema(const std::string& name) const = 0;
  virtual const std::string& help(const std::string& name) const = 0;
  virtual std::vector<std::string> names() const = 0;
  // Canonical name for `name` (resolving aliases); throws ConfigError if unknown.
  std::string canonical(const std::string& name, const std::string& where) const {
    auto a = aliases_.find(name);
    std::string n = a == aliases_.end() ? name : a->second;
    auto all = names();
    if (std::find(all.begin(), all.end(), n) == all.end())
      throw ConfigError(fmt::format("{}: unknown {} type '{}' (known: {})", where, section_, name,
                                    fmt::join(all, ", ")));
    return n;
  }
  // Whether `name` is a registered name or alias.
  bool known(const std::string& name) const {
    auto a = aliases_.find(name);
    auto all = names();
    return std::find(all.begin(), all.end(), a == aliases_.end() ? name : a->second) != all.end();
  }
  void add_alias(const std::string& alias, const std::string& target) { aliases_[alias] = target; }

 private:
  std::string section_;
  std::map<std::string, std::string> aliases_;
};

template <class Factory>
class Registry : public RegistryBase {
 public:
  struct Entry {
    std::string help;
    Schema schema;
    Factory factory;
  };
  using RegistryBase::RegistryBase;

  Registry& add(const std::string& name, std::string help, Schema schema, Factory factory) {
    order_.push_back(name);
    entries_[name] = Entry{std::move(help), std::move(schema), std::move(factory)};
    return *this;
  }
  // An entry whose Factory carries its OptionsBinding (`options`): the schema comes from it.
  Registry& add_typed(const std::string& name, std::string help, Factory factory) {
    Schema schema = factory.options.schema();
    return add(name, std::move(help), std::move(schema), std::move(factory));
  }
  const Entry& at(const std::string& name) const {
    auto it = entries_.find(canonical(name, section()));
    return it->second;
  }
  const Schema& schema(const std::string& name) const override { return at(name).schema; }
  const std::string& help(const std::string& name) const override { return at(name).help; }
  std::vector<std::string> names() const override { return order_; }

 private:
  std::vector<std::string> order_;
  std::map<std::string, Entry> entries_;
};

// The registry that `make` builds, built once on first use (thread-safe):
//   const Registry<DataSpec>& data_registry() { return built_once<DataSpec, make_data_registry>(); }
template <class Spec, Registry<Spec> (*Make)()>
const Registry<Spec>& built_once() {
  static const Registry<Spec> registry = Make();
  return registry;
}

// The typed options of a config section: `type` resolved to its canonical name,
// and its entry's OptionsBinding (Spec::options) fills every field from the
// validated Params. The one way a section's parameters become options.
template <class Options, class Spec>
Options parse_typed(const Registry<Spec>& registry, const std::string& type, const Params& params) {
  const std::string name = registry.canonical(type, registry.section() + ".type");
  Options o = registry.at(name).factory.options.parse(params);
  o.type = name;
  return o;
}

}  // namespace lrid

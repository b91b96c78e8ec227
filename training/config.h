// The run configuration: a YAML file with sections data, model, task, rule,
// optimizer, schedule, run and observables. Each section is {type: NAME, parameters: {...}}
// and NAME selects an implementation from that section's registry, whose
// schema validates the parameters (defaults filled in) before any compute.
// Dotted command-line overrides (`optimizer.parameters.lr=0.01`) are applied
// to the YAML tree first, so they are validated the same way.
#pragma once
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "core/params.h"
#include "core/registry.h"

namespace lrid {

struct Section {
  std::string type;
  Params params;
};

struct Config {
  ConfigSource source;
  Section data, model, task, rule, optimizer, schedule, run, observables;
  // Seeds given as -1 and drawn from fresh entropy ("model_seed", "data_seed").
  std::vector<std::string> drawn_seeds;
  // run.parameters keys given as `auto` and resolved for this machine
  // ("precision", "memory_format"; training/compute_settings.h).
  std::vector<std::string> auto_resolved;
  // Choices made for the user, said once on the terminal (e.g. the optimizer of a
  // rule named on the command line whose file's optimizer it does not admit).
  std::vector<std::string> notes;
  // The resolved configuration (every default and derived value written out).
  YAML::Node to_yaml() const;
};

// The section names in file order.
const std::vector<std::string>& config_sections();
// The registry behind a section's `type:`.
const RegistryBase& section_registry(const std::string& section);

// Applies "a.b.c=value" to `root` (value parsed as YAML, so lists work).
void apply_override(YAML::Node& root, const std::string& assignment);
// Reads `path`, applies overrides, validates. Throws ConfigError with one line.
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});
// Validates an already-parsed tree (the file name is used in messages).
Config parse_config(const YAML::Node& root, ConfigSource source);

}  // namespace lrid

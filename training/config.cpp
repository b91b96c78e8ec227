// Configuration loading, overrides and cross-section resolution. See config.h.
#include "training/config.h"

#include <fmt/format.h>

#include <fstream>
#include <random>

#include "training/data_registry.h"
#include "core/errors.h"
#include "training/lr_schedule.h"
#include "training/optimizer.h"
#include "training/run_options.h"
#include "training/task.h"
#include "models/registry.h"
#include "observables/recorder.h"
#include "rules/rule.h"

namespace lrid {
namespace {

using RunFactory = int;  // the run section has no implementation behind it

const Registry<RunFactory>& run_registry() {
  static const Registry<RunFactory> r = [] {
    Registry<RunFactory> reg("run");
    reg.add("default", "train one network on this machine", run_binding().schema(), 0);
    return reg;
  }();
  return r;
}

// Sections whose type must be given; the others have a default type.
std::string default_type(const std::string& section, const std::string& rule_type) {
  if (section == "task") return "supervised";
  if (section == "optimizer") return rule_traits(rule_type).default_optimizer;
  if (section == "schedule") return "step";
  if (section == "run") return "default";
  if (section == "observables") return "recorder";
  return "";
}

Section parse_section(const YAML::Node& root, const std::string& name, const ConfigSource& src,
                      const std::string& rule_type) {
  YAML::Node node = root[name];
  const RegistryBase& reg = section_registry(name);
  Section out;
  if (!node.IsDefined() || node.IsNull()) {
    std::string def = default_type(name, rule_type);
    if (def.empty())
      throw ConfigError(fmt::format("{}: required section '{}' is missing (types: {})", src.file,
                                    name, fmt::join(reg.names(), ", ")));
    out.type = def;
    out.params = parse_params(reg.schema(def), YAML::Node(), src, name + ".parameters");
    return out;
  }
  if (!node.IsMap())
    throw ConfigError(fmt::format("{}: section must be a map with 'type' and 'parameters'",
                                  src.locate(name, node)));
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (key != "type" && key != "parameters")
      throw ConfigError(fmt::format("{}: unknown key (a section has 'type' and 'parameters')",
                                    src.locate(name + "." + key, kv.first)));
  }
  YAML::Node type = node["type"];
  if (type.IsDefined() && !type.IsNull()) {
    if (!type.IsScalar())
      throw ConfigError(fmt::format("{}: expected a type name", src.locate(name + ".type", type)));
    out.type = reg.canonical(type.Scalar(), src.locate(name + ".type", type));
  } else {
    out.type = default_type(name, rule_type);
    if (out.type.empty())
      throw ConfigError(fmt::format("{}: 'type' is missing (types: {})", src.locate(name, node),
                                    fmt::join(reg.names(), ", ")));
  }
  out.params = parse_params(reg.schema(out.type), node["parameters"], src, name + ".parameters");
  return out;
}

int64_t fresh_seed() {
  std::random_device rd;
  return static_cast<int64_t>((static_cast<uint64_t>(rd()) << 20 ^ rd()) & 0x7fffffffffffLL);
}

}  // namespace

const std::vector<std::string>& config_sections() {
  static const std::vector<std::string> s = {"data",     "model",    "task", "rule",
                                             "optimizer", "schedule", "run",  "observables"};
  return s;
}

const RegistryBase& section_registry(const std::string& section) {
  if (section == "data") return data_registry();
  if (section == "model") return model_registry();
  if (section == "task") return task_registry();
  if (section == "rule") return rule_registry();
  if (section == "optimizer") return optimizer_registry();
  if (section == "schedule") return schedule_registry();
  if (section == "run") return run_registry();
  if (section == "observables") return observables_registry();
  throw ConfigError(fmt::format("unknown config section '{}'", section));
}

void apply_override(YAML::Node& root, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError(fmt::format("override '{}': expected key=value, e.g. optimizer.parameters.lr=0.01",
                                  assignment));
  std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("override '{}': cannot parse value: {}", assignment, e.msg));
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap())  // yaml-cpp would throw BadSubscript from root[key]
    throw ConfigError(fmt::format("override '{}': the configuration is not a YAML map of sections", assignment));
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    auto dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  // Walk with fresh handles (yaml-cpp node assignment rebinds, so use a vector of nodes).
  std::vector<YAML::Node> path{root};
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i].empty()) throw ConfigError(fmt::format("override '{}': empty key part", assignment));
    YAML::Node child = path.back()[parts[i]];
    if (!child.IsDefined() || child.IsNull()) {
      path.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      child = path.back()[parts[i]];
    } else if (!child.IsMap()) {
      throw ConfigError(fmt::format("override '{}': '{}' is not a map", assignment, parts[i]));
    }
    path.push_back(child);
  }
  path.back()[parts.back()] = value;
}

namespace {

// The rule was chosen on the command line and the optimizer was not: the file's
// optimizer was written for another rule.
bool rule_named_alone(const ConfigSource& source) {
  bool rule = false, optimizer = false;
  for (const auto& key : source.overridden) {
    rule = rule || key == "rule" || key == "rule.type";
    optimizer = optimizer || key == "optimizer" || key.rfind("optimizer.", 0) == 0;
  }
  return rule && !optimizer;
}

}  // namespace

Config parse_config(const YAML::Node& root, ConfigSource source) {
  if (!root.IsMap())
    throw ConfigError(fmt::format("{}: the configuration must be a YAML map of sections", source.file));
  const auto& sections = config_sections();
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    if (std::find(sections.begin(), sections.end(), key) == sections.end())
      throw ConfigError(fmt::format("{}: unknown section (sections: {})", source.locate(key, kv.first),
                                    fmt::join(sections, ", ")));
  }
  Config c;
  c.source = source;
  c.data = parse_section(root, "data", source, "");
  c.model = parse_section(root, "model", source, "");
  c.task = parse_section(root, "task", source, "");
  c.rule = parse_section(root, "rule", source, "");
  c.optimizer = parse_section(root, "optimizer", source, c.rule.type);
  c.schedule = parse_section(root, "schedule", source, "");
  c.run = parse_section(root, "run", source, "");
  c.observables = parse_section(root, "observables", source, "");
  if (c.observables.type == "recorder")
    recorder_options(c.observables.params, source.locate("observables.parameters", root["observables"]));

  const RuleTraits traits = rule_traits(c.rule.type);
  const bool admitted = std::find(traits.optimizers.begin(), traits.optimizers.end(), c.optimizer.type) !=
                        traits.optimizers.end();
  if (!admitted && rule_named_alone(source)) {
    // `rule.type=adam` on a file written for SGD: the rule's own optimizer at its
    // defaults (Adam at 1e-3), keeping only the file's weight decay. A user who names
    // a rule gets a run that trains; the choice is said once and recorded in config.yaml.
    YAML::Node section(YAML::NodeType::Map);
    section["type"] = traits.default_optimizer;
    if (c.optimizer.params.has("weight_decay"))
      section["parameters"]["weight_decay"] = c.optimizer.params.get_real("weight_decay");
    YAML::Node holder(YAML::NodeType::Map);
    holder["optimizer"] = section;
    c.notes.push_back(fmt::format("rule '{}' trains W with '{}' at its defaults; the optimizer '{}' of {} "
                                  "does not apply to it (set optimizer.type and optimizer.parameters to choose)",
                                  c.rule.type, traits.default_optimizer, c.optimizer.type, source.file));
    c.optimizer = parse_section(holder, "optimizer", source, c.rule.type);
  } else if (!admitted) {
    throw ConfigError(fmt::format("{}: optimizer '{}' cannot be used with rule '{}' (allowed: {})",
                                  source.locate("optimizer.type", root["optimizer"]["type"]),
                                  c.optimizer.type, c.rule.type, fmt::join(traits.optimizers, ", ")));
  }
  // Coupled L2 defaults to the architecture's rate (learning-rules.md §9.7),
  // or to the task's when the task overrides it (SimCLR: 1e-6).
  if (!c.optimizer.params.has("weight_decay")) {
    double wd = task_options(c.task.type, c.task.params).weight_decay;
    if (wd < 0) wd = architecture_weight_decay(c.model.type);
    c.optimizer.params.set("weight_decay", real_node(wd));
  }
  // Unseeded runs draw fresh entropy and record it, so every run can be replayed.
  const RunOptions run = run_options(c.run.params);
  for (const auto& [key, seed] : {std::pair{"model_seed", run.model_seed}, std::pair{"data_seed", run.data_seed}})
    if (seed < 0) {
      c.run.params.set(key, YAML::Node(fresh_seed()));
      c.drawn_seeds.push_back(key);
    }
  return c;
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  YAML::Node root;
  {
    std::ifstream in(path);
    if (!in) throw ConfigError(fmt::format("{}: cannot open configuration file", path));
    try {
      root = YAML::Load(in);
    } catch (const YAML::Exception& e) {
      throw ConfigError(fmt::format("{}:{}: YAML syntax error: {}", path, e.mark.line + 1, e.msg));
    } catch (const std::ios_base::failure& e) {  // a directory opens, then fails to read
      throw ConfigError(fmt::format("{}: cannot read configuration file ({})", path, e.code().message()));
    }
  }
  ConfigSource source;
  source.file = path;
  try {
    for (const auto& o : overrides) {
      apply_override(root, o);
      source.overridden.insert(o.substr(0, o.find('=')));
    }
    return parse_config(root, source);
  } catch (const YAML::Exception& e) {
    // A node of an unexpected kind (a list as a map key, ...) that no check above named.
    const std::string where = e.mark.is_null() ? path : fmt::format("{}:{}", path, e.mark.line + 1);
    throw ConfigError(fmt::format("{}: {}", where, e.msg));
  }
}

YAML::Node Config::to_yaml() const {
  YAML::Node root(YAML::NodeType::Map);
  const Section* all[] = {&data, &model, &task, &rule, &optimizer, &schedule, &run, &observables};
  const auto& names = config_sections();
  for (std::size_t i = 0; i < names.size(); ++i) {
    YAML::Node s(YAML::NodeType::Map);
    s["type"] = all[i]->type;
    s["parameters"] = all[i]->params.to_yaml();
    root[names[i]] = s;
  }
  return root;
}

}  // namespace lrid

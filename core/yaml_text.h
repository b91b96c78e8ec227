// YAML nodes as text: block style (config.yaml of a run, --print-config) and
// flow style (sweep grid values, which become command-line overrides).
#pragma once
#include <yaml-cpp/yaml.h>

#include <string>

namespace lrid {

std::string yaml_block(const YAML::Node& node);
std::string yaml_flow(const YAML::Node& node);

}  // namespace lrid

// YAML emission. See yaml_text.h.
#include "core/yaml_text.h"

namespace lrid {

std::string yaml_block(const YAML::Node& node) {
  YAML::Emitter e;
  e << node;
  return e.c_str();
}

std::string yaml_flow(const YAML::Node& node) {
  YAML::Emitter e;
  e << YAML::Flow << node;
  return e.c_str();
}

}  // namespace lrid

// YAML emission. See yaml_text.h.
#include "core/yaml_text.h"

namespace lrid {
namespace {

// Flow style on every collection of `node` (a loaded node keeps the style it
// was written in, and the emitter follows a node's own style over its Flow manipulator).
void set_flow_style(YAML::Node node) {
  if (!node.IsMap() && !node.IsSequence()) return;
  node.SetStyle(YAML::EmitterStyle::Flow);
  for (auto it = node.begin(); it != node.end(); ++it) set_flow_style(node.IsMap() ? it->second : *it);
}

}  // namespace

std::string yaml_block(const YAML::Node& node) {
  YAML::Emitter e;
  e << node;
  return e.c_str();
}

std::string yaml_flow(const YAML::Node& node) {
  YAML::Node copy = YAML::Clone(node);
  set_flow_style(copy);
  YAML::Emitter e;
  e << YAML::Flow << copy;
  return e.c_str();
}

}  // namespace lrid

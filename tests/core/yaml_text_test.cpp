// YAML text (core/yaml_text.h): block style for config.yaml and flow style for
// sweep values that become command-line overrides; both read back to the same
// tree, and text that YAML would misread is quoted.
#include "core/yaml_text.h"

#include <gtest/gtest.h>

#include <string>

namespace lrid {
namespace {

YAML::Node sample_section() {
  YAML::Node n;
  n["type"] = "sgd";
  n["parameters"]["lr"] = 0.5;
  n["parameters"]["milestones"].push_back(0.25);
  n["parameters"]["milestones"].push_back(0.75);
  n["parameters"]["name"] = "a: b";
  return n;
}

const char* kSampleFlow = "{type: sgd, parameters: {lr: 0.5, milestones: [0.25, 0.75], name: \"a: b\"}}";

TEST(YamlText, BlockStyle) {
  EXPECT_EQ(yaml_block(sample_section()),
            "type: sgd\n"
            "parameters:\n"
            "  lr: 0.5\n"
            "  milestones:\n"
            "    - 0.25\n"
            "    - 0.75\n"
            "  name: \"a: b\"");
  EXPECT_EQ(yaml_block(YAML::Node("plain")), "plain");
}

TEST(YamlText, FlowStyle) {
  EXPECT_EQ(yaml_flow(sample_section()), kSampleFlow);
  YAML::Node list;
  list.push_back(1);
  list.push_back("x,y");
  EXPECT_EQ(yaml_flow(list), "[1, \"x,y\"]");
  EXPECT_EQ(yaml_flow(YAML::Node("3")), "3");
}

TEST(YamlText, FlowStyleAlsoForNodesWrittenInBlockStyle) {
  // A loaded node keeps its style; a sweep value must still become one line.
  const YAML::Node loaded = YAML::Load("a:\n  - 1\n  - [2, 3]\nb:\n  c: x\n");
  EXPECT_EQ(yaml_flow(loaded), "{a: [1, [2, 3]], b: {c: x}}");
  EXPECT_EQ(yaml_flow(loaded["a"]), "[1, [2, 3]]");
  EXPECT_EQ(yaml_block(loaded), "a:\n  - 1\n  - [2, 3]\nb:\n  c: x");  // the node itself is left as it was
}

TEST(YamlText, BothStylesReadBackToTheSameTree) {
  const YAML::Node original = sample_section();
  const YAML::Node from_block = YAML::Load(yaml_block(original));
  const YAML::Node from_flow = YAML::Load(yaml_flow(original));
  EXPECT_EQ(from_block["parameters"]["name"].as<std::string>(), "a: b");
  EXPECT_EQ(from_flow["parameters"]["milestones"][1].as<double>(), 0.75);
  EXPECT_EQ(yaml_flow(from_block), kSampleFlow);
  EXPECT_EQ(yaml_flow(from_flow), kSampleFlow);
}

}  // namespace
}  // namespace lrid

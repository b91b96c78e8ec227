// Parameter schemas (core/params.h): type checks, open and closed bounds,
// choices, lists checked element-wise, required and optional keys, unknown
// keys, one-line messages naming the file, the dotted key and the line (or the
// command-line override), deep copies, shortest real nodes and describe_schema.
#include "core/params.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

const Schema& optimizer_schema() {
  static const Schema s = {
      real_param("lr", 0.1).above(0).describe("learning rate"),
      real_param("momentum", 0.9).at_least(0).below(1),
      int_param("batch", 16).at_least(1).at_most(4096),
      bool_param("nesterov", false),
      string_param("device", "auto").one_of({"auto", "cpu", "cuda"}),
      reals_param("milestones", {0.5, 0.75}).above(0).below(1),
      ints_param("layers", {1, 2}),
      strings_param("sets", {"all"}).one_of({"all", "weight", "act"}),
      required_param("root", ParamType::kString),
      optional_param("limit", ParamType::kInt),
  };
  return s;
}

// Parses `yaml` (the `parameters` map at line 2 of f.yaml) against optimizer_schema().
Params parse_optimizer(const std::string& yaml, std::set<std::string> overridden = {}) {
  YAML::Node root = YAML::Load("type: sgd\nparameters:\n" + yaml);
  return parse_params(optimizer_schema(), root["parameters"], ConfigSource{"f.yaml", std::move(overridden)},
                      "optimizer.parameters");
}

// The ConfigError message of parsing `yaml`, or "" when it parses.
std::string params_error(const std::string& yaml, std::set<std::string> overridden = {}) {
  return test::error_message<ConfigError>([&] { parse_optimizer(yaml, std::move(overridden)); });
}

TEST(Params, DefaultsFilledAndValuesTyped) {
  const Params p = parse_optimizer("  root: /data\n  lr: 1e-3\n  nesterov: yes\n  layers: [3, -4]\n");
  EXPECT_EQ(p.get_real("lr"), 1e-3);
  EXPECT_EQ(p.get_real("momentum"), 0.9);
  EXPECT_EQ(p.get_int("batch"), 16);
  EXPECT_TRUE(p.get_bool("nesterov"));
  EXPECT_EQ(p.get_string("device"), "auto");
  EXPECT_EQ(p.get_reals("milestones"), (std::vector<double>{0.5, 0.75}));
  EXPECT_EQ(p.get_ints("layers"), (std::vector<int64_t>{3, -4}));
  EXPECT_EQ(p.get_strings("sets"), std::vector<std::string>{"all"});
  EXPECT_EQ(p.get_string("root"), "/data");
  EXPECT_FALSE(p.has("limit"));  // optional, absent, no default
  EXPECT_TRUE(p.has("batch"));
  test::expect_error<ConfigError>([&] { p.get_int("limit"); }, "'limit' is not set");
  // An explicit null counts as absent.
  EXPECT_EQ(parse_optimizer("  root: r\n  lr: ~\n").get_real("lr"), 0.1);
  for (const char* word : {"true", "True", "on", "yes"})
    EXPECT_TRUE(parse_optimizer(std::string("  root: r\n  nesterov: ") + word + "\n").get_bool("nesterov"));
  for (const char* word : {"false", "False", "off", "no"})
    EXPECT_FALSE(parse_optimizer(std::string("  root: r\n  nesterov: ") + word + "\n").get_bool("nesterov"));
}

TEST(Params, WrongTypesNameFileKeyLineAndValue) {
  EXPECT_EQ(params_error("  root: r\n  lr: fast\n"),
            "f.yaml:4: key 'optimizer.parameters.lr': expected a number, got 'fast'");
  EXPECT_EQ(params_error("  root: r\n  batch: 2.5\n"),
            "f.yaml:4: key 'optimizer.parameters.batch': expected an integer, got '2.5'");
  EXPECT_EQ(params_error("  root: r\n  nesterov: maybe\n"),
            "f.yaml:4: key 'optimizer.parameters.nesterov': expected true or false, got 'maybe'");
  EXPECT_EQ(params_error("  root: r\n  lr: [1]\n"), "f.yaml:4: key 'optimizer.parameters.lr': expected a number, got a list");
  EXPECT_EQ(params_error("  root: r\n  lr: {a: 1}\n"), "f.yaml:4: key 'optimizer.parameters.lr': expected a number, got a map");
  EXPECT_EQ(params_error("  root: r\n  lr: nan\n"), "f.yaml:4: key 'optimizer.parameters.lr': expected a number, got 'nan'");
  EXPECT_EQ(params_error("  root: r\n  batch: 99999999999999999999\n"),
            "f.yaml:4: key 'optimizer.parameters.batch': expected an integer, got '99999999999999999999'");
}

TEST(Params, BoundsOpenAndClosed) {
  EXPECT_EQ(params_error("  root: r\n  lr: 0\n"), "f.yaml:4: key 'optimizer.parameters.lr': 0 is out of range (must be >0)");
  EXPECT_EQ(params_error("  root: r\n  lr: 1e-300\n"), "");
  EXPECT_EQ(params_error("  root: r\n  momentum: 0\n"), "");  // closed below
  EXPECT_EQ(params_error("  root: r\n  momentum: -0.01\n"),
            "f.yaml:4: key 'optimizer.parameters.momentum': -0.01 is out of range (must be >=0 and <1)");
  EXPECT_NE(params_error("  root: r\n  momentum: 1\n").find("out of range (must be >=0 and <1)"), std::string::npos);
  EXPECT_EQ(params_error("  root: r\n  batch: 4096\n"), "");  // closed above
  EXPECT_NE(params_error("  root: r\n  batch: 4097\n").find("4097 is out of range (must be >=1 and <=4096)"),
            std::string::npos);
  EXPECT_NE(params_error("  root: r\n  batch: 0\n").find("0 is out of range"), std::string::npos);
  EXPECT_EQ(parse_optimizer("  root: r\n  lr: .inf\n").get_real("lr"), INFINITY);
}

TEST(Params, ChoicesAndListsAreCheckedElementWise) {
  EXPECT_EQ(params_error("  root: r\n  device: tpu\n"),
            "f.yaml:4: key 'optimizer.parameters.device': 'tpu' is not one of: auto, cpu, cuda");
  EXPECT_EQ(params_error("  root: r\n  milestones: [0.5, 1.5]\n"),
            "f.yaml:4: key 'optimizer.parameters.milestones': element 1: 1.5 is out of range (must be >0 and <1)");
  EXPECT_EQ(params_error("  root: r\n  sets: [weight, grad]\n"),
            "f.yaml:4: key 'optimizer.parameters.sets': element 1: 'grad' is not one of: all, weight, act");
  EXPECT_EQ(params_error("  root: r\n  layers: [1, x]\n"),
            "f.yaml:4: key 'optimizer.parameters.layers': element 1: expected an integer, got 'x'");
  EXPECT_EQ(params_error("  root: r\n  milestones: 0.5\n"),
            "f.yaml:4: key 'optimizer.parameters.milestones': expected a list of numbers");
  EXPECT_EQ(params_error("  root: r\n  milestones: [[0.5]]\n"),
            "f.yaml:4: key 'optimizer.parameters.milestones': element 0: expected a number, got a list");
  EXPECT_TRUE(parse_optimizer("  root: r\n  milestones: []\n").get_reals("milestones").empty());
}

TEST(Params, RequiredUnknownAndNonMapSections) {
  EXPECT_EQ(params_error("  lr: 0.5\n"), "f.yaml:3: key 'optimizer.parameters.root': required key is missing (a string)");
  // An unknown key is reported before a missing required one (a typo is the likelier cause).
  EXPECT_EQ(params_error("  lr: 0.5\n  momentun: 0.9\n"),
            "f.yaml:4: key 'optimizer.parameters.momentun': unknown key (known: lr, momentum, batch, nesterov, "
            "device, milestones, layers, sets, root, limit)");
  test::expect_error<ConfigError>(
      [] { parse_params({}, YAML::Load("{a: 1}"), ConfigSource{"g.yaml", {}}, "run.parameters"); },
      "g.yaml:1: key 'run.parameters.a': unknown key (known: none)");
  // A section that is not a map; an absent or null one means "all defaults".
  EXPECT_EQ(params_error("  - lr\n").rfind("f.yaml:3: key 'optimizer.parameters': expected a map of parameters", 0), 0u);
  const Schema defaults_only = {real_param("lr", 0.1)};
  for (const auto& node : {YAML::Node(), YAML::Load("~")})
    EXPECT_EQ(parse_params(defaults_only, node, ConfigSource{"g.yaml", {}}, "o").get_real("lr"), 0.1);
}

TEST(Params, OverriddenKeysAreNamedAsOverrides) {
  EXPECT_EQ(params_error("  root: r\n  lr: -1\n", {"optimizer.parameters.lr"}),
            "command-line override 'optimizer.parameters.lr': -1 is out of range (must be >0)");
  // An override of the whole section covers its keys.
  EXPECT_EQ(params_error("  root: r\n  device: tpu\n", {"optimizer.parameters"}).rfind(
                "command-line override 'optimizer.parameters': ", 0),
            0u);
  // Without a position (a node built in code), the file and key are still named.
  YAML::Node built;
  built["lr"] = "slow";
  built["root"] = "r";
  test::expect_error<ConfigError>(
      [&] { parse_params(optimizer_schema(), built, ConfigSource{"built.yaml", {}}, "opt"); },
      "built.yaml: key 'opt.lr': expected a number, got 'slow'");
}

TEST(Params, CopiesAreDeep) {
  Params original = parse_optimizer("  root: r\n  milestones: [0.25]\n");
  Params copy = original;
  copy.set("lr", real_node(7.0));
  Params assigned;
  assigned = original;
  assigned.set("root", YAML::Node("elsewhere"));
  YAML::Node exported = original.to_yaml();
  exported["momentum"] = "0.5";  // to_yaml hands out copies too
  exported["milestones"][0] = "0.75";
  EXPECT_EQ(original.get_real("lr"), 0.1);
  EXPECT_EQ(original.get_string("root"), "r");
  EXPECT_EQ(original.get_real("momentum"), 0.9);
  EXPECT_EQ(original.get_reals("milestones"), std::vector<double>{0.25});
  EXPECT_EQ(copy.get_real("lr"), 7.0);
  EXPECT_EQ(assigned.get_string("root"), "elsewhere");
  // A node passed to set() is cloned: changing it later changes nothing.
  YAML::Node value("0.5");
  copy.set("momentum", value);
  value = "0.6";
  EXPECT_EQ(copy.get_real("momentum"), 0.5);
}

TEST(Params, ToYamlInSchemaOrderThenAddedKeys) {
  Params p = parse_optimizer("  limit: 3\n  root: r\n");
  p.set("extra", YAML::Node(1));
  std::vector<std::string> keys;
  for (const auto& kv : p.to_yaml()) keys.push_back(kv.first.as<std::string>());
  EXPECT_EQ(keys, (std::vector<std::string>{"lr", "momentum", "batch", "nesterov", "device", "milestones", "layers",
                                            "sets", "root", "limit", "extra"}));
}

TEST(Params, RealNodesInShortestRoundTripForm) {
  EXPECT_EQ(real_node(0.1).Scalar(), "0.1");
  EXPECT_EQ(real_node(2.0).Scalar(), "2");
  EXPECT_EQ(real_node(1e-5).Scalar(), "1e-05");
  EXPECT_EQ(real_node(0.1 + 0.2).Scalar(), "0.30000000000000004");
  EXPECT_EQ(real_node(-0.0035).Scalar(), "-0.0035");
  for (double v : {1.0 / 3.0, 1e300, 5e-324}) EXPECT_EQ(std::strtod(real_node(v).Scalar().c_str(), nullptr), v);
  // A real default is written the same way.
  EXPECT_EQ(real_param("lr", 0.1).default_value.Scalar(), "0.1");
}

TEST(Params, DescribeSchemaListsDefaultsRequiredAndOptional) {
  EXPECT_EQ(describe_schema(optimizer_schema()),
            "lr=0.1 momentum=0.9 batch=16 nesterov=false device=auto milestones=[0.5, 0.75] layers=[1, 2] "
            "sets=[all] root=required limit=optional");
  EXPECT_EQ(describe_schema({}), "");
  EXPECT_STREQ(param_type_name(ParamType::kIntList), "a list of integers");
  EXPECT_STREQ(param_type_name(ParamType::kBool), "a boolean");
}

}  // namespace
}  // namespace lrid

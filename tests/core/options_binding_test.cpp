// OptionsBinding (core/options_binding.h): the schema, its defaults and the
// parse all come from one list of bindings, so they agree; nested fields,
// required, optional and converted parameters.
#include "core/options_binding.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

struct Inner {
  double rate = 0.25;
};

struct BoundOptions {
  int64_t count = 3;
  uint64_t seed = 7;
  bool flag = true;
  std::string mode = "fast";
  std::vector<double> weights{0.5, 1.5};
  std::vector<int64_t> steps;
  std::vector<std::string> names{"a"};
  Inner inner;
  std::string root;               // required
  double decay = -1;              // optional: kept when absent
  std::vector<std::string> upper;  // converted: upper-cased names
};

OptionsBinding<BoundOptions> binding() {
  using O = BoundOptions;
  OptionsBinding<O> b;
  b.add("count", &O::count).at_least(1).describe("how many");
  b.add("seed", &O::seed);
  b.add("flag", &O::flag);
  b.add("mode", &O::mode).one_of({"fast", "slow"});
  b.add("weights", &O::weights).above(0);
  b.add("steps", &O::steps);
  b.add("names", &O::names);
  b.add<double>("rate", [](O& o) -> double& { return o.inner.rate; }).at_most(1);
  b.require("root", &O::root);
  b.optional("decay", &O::decay).at_least(0);
  b.add_converted<std::vector<std::string>, std::vector<std::string>>(
      "upper", &O::upper, {"x"}, [](const std::vector<std::string>& v) {
        std::vector<std::string> out;
        for (auto s : v) {
          for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          out.push_back(s);
        }
        return out;
      });
  return b;
}

Params bound_params(const OptionsBinding<BoundOptions>& b, const std::string& yaml) {
  return parse_params(b.schema(), YAML::Load(yaml), ConfigSource{"opts.yaml", {}}, "section");
}

TEST(OptionsBinding, SchemaFollowsTheBindingsWithThePrototypesDefaults) {
  const Schema s = binding().schema();
  std::vector<std::string> names;
  for (const auto& p : s) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"count", "seed", "flag", "mode", "weights", "steps", "names", "rate",
                                             "root", "decay", "upper"}));
  EXPECT_EQ(s[0].type, ParamType::kInt);
  EXPECT_EQ(s[0].default_value.as<int64_t>(), 3);
  EXPECT_EQ(s[0].help, "how many");
  EXPECT_EQ(s[1].default_value.as<int64_t>(), 7);
  EXPECT_EQ(s[3].choices, (std::vector<std::string>{"fast", "slow"}));
  EXPECT_EQ(s[4].type, ParamType::kRealList);
  EXPECT_EQ(s[7].default_value.Scalar(), "0.25");
  EXPECT_FALSE(s[8].default_value.IsDefined() && !s[8].default_value.IsNull());  // required: no default
  EXPECT_TRUE(s[9].optional);
  EXPECT_EQ(s[10].type, ParamType::kStringList);
}

TEST(OptionsBinding, ParseSetsEveryBoundFieldAndKeepsTheRest) {
  const auto b = binding();
  const BoundOptions o = b.parse(bound_params(
      b, "{count: 5, seed: 11, flag: false, mode: slow, weights: [2], steps: [1, 4], names: [p, q], rate: 0.5, "
         "root: /data, upper: [ab, c]}"));
  EXPECT_EQ(o.count, 5);
  EXPECT_EQ(o.seed, 11u);
  EXPECT_FALSE(o.flag);
  EXPECT_EQ(o.mode, "slow");
  EXPECT_EQ(o.weights, (std::vector<double>{2.0}));
  EXPECT_EQ(o.steps, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(o.names, (std::vector<std::string>{"p", "q"}));
  EXPECT_DOUBLE_EQ(o.inner.rate, 0.5);
  EXPECT_EQ(o.root, "/data");
  EXPECT_DOUBLE_EQ(o.decay, -1.0);  // optional and absent: the prototype's value
  EXPECT_EQ(o.upper, (std::vector<std::string>{"AB", "C"}));
  EXPECT_DOUBLE_EQ(b.parse(bound_params(b, "{root: r, decay: 0.125}")).decay, 0.125);
}

TEST(OptionsBinding, DefaultsComeBackWhenNothingIsGiven) {
  const auto b = binding();
  const BoundOptions o = b.parse(bound_params(b, "{root: r}"));
  EXPECT_EQ(o.count, 3);
  EXPECT_EQ(o.weights, (std::vector<double>{0.5, 1.5}));
  EXPECT_EQ(o.upper, (std::vector<std::string>{"X"}));  // the raw default, converted
}

TEST(OptionsBinding, TheSchemasChecksRejectBadValuesNamingTheKey) {
  const auto b = binding();
  test::expect_error<ConfigError>([&] { bound_params(b, "{count: 0, root: r}"); }, "section.count");
  test::expect_error<ConfigError>([&] { bound_params(b, "{mode: medium, root: r}"); }, "section.mode");
  test::expect_error<ConfigError>([&] { bound_params(b, "{rate: 2, root: r}"); }, "section.rate");
  test::expect_error<ConfigError>([&] { bound_params(b, "{}"); }, "section.root");
  test::expect_error<ConfigError>([&] { bound_params(b, "{root: r, extra: 1}"); }, "section.extra");
}

}  // namespace
}  // namespace lrid

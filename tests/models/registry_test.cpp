// The `model` section (models/registry.h): the registered architectures and
// their schemas, the coupled weight decay of each family, model_options filling
// the architecture's own fields from the parameters, and make_model passing the
// data's shape, the seed, the rule and the projection head to build_model.
#include "models/registry.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/errors.h"
#include "model_checks.h"
#include "rules/rule.h"
#include "test_util.h"

namespace lrid {
namespace {

Params model_params(const std::string& type, const std::string& yaml = "") {
  return parse_params(model_registry().schema(type), yaml.empty() ? YAML::Node() : YAML::Load(yaml),
                      ConfigSource{"model.yaml", {}}, "model.parameters");
}

TEST(ModelRegistry, EveryArchitectureInOrderAndNoOther) {
  std::vector<std::string> names = model_registry().names();
  EXPECT_EQ(names, (std::vector<std::string>{"resnet18", "resnet34", "resnet18v2", "resnet34v2", "alexnet",
                                             "alexnetlrn", "knet", "knetlrn", "knetc4", "knetc4lrn"}));
  std::sort(names.begin(), names.end());
  std::vector<std::string> built = architecture_names();  // what build_model accepts
  std::sort(built.begin(), built.end());
  EXPECT_EQ(names, built);
  EXPECT_EQ(model_registry().section(), "model");
  EXPECT_FALSE(model_registry().known("resnet50"));
  EXPECT_FALSE(model_registry().known("ResNet18"));
  test::expect_error<ConfigError>([] { model_options("resnet50", Params()); },
                                  "model.type: unknown model type 'resnet50' (known: resnet18, resnet34,");
}

TEST(ModelRegistry, SchemasPerFamily) {
  const std::vector<std::pair<std::string, std::string>> defaults = {
      {"resnet34", "bn_momentum=0.1 bn_eps=1e-05 width=64"}, {"resnet18v2", "bn_momentum=0.003 bn_eps=1e-05 width=64"},
      {"alexnetlrn", "dropout=0.5"},                {"knetc4", "bn_momentum=0.1 bn_eps=1e-05"},
      {"knetlrn", ""},                              {"knetc4lrn", ""}};
  for (const auto& [type, want] : defaults) EXPECT_EQ(describe_schema(model_registry().schema(type)), want) << type;
  test::expect_error<ConfigError>([] { model_params("knet", "{bn_momentum: 0}"); }, "must be >0 and <=1");
  test::expect_error<ConfigError>([] { model_params("resnet18", "{bn_momentum: 1.5}"); }, "bn_momentum");
  test::expect_error<ConfigError>([] { model_params("alexnet", "{dropout: 1}"); }, "must be >=0 and <1");
  test::expect_error<ConfigError>([] { model_params("resnet18", "{width: 0}"); }, "width");
  test::expect_error<ConfigError>([] { model_params("knet", "{width: 16}"); }, "unknown key");
  test::expect_error<ConfigError>([] { model_params("knetlrn", "{bn_momentum: 0.1}"); }, "unknown key (known: none)");
}

TEST(ModelRegistry, CoupledWeightDecayPerFamily) {
  const std::vector<std::pair<std::string, double>> want = {
      {"resnet18", 1e-4}, {"resnet34v2", 1e-4}, {"alexnet", 5e-4}, {"alexnetlrn", 5e-4},
      {"knet", 1e-5},     {"knetlrn", 1e-5},    {"knetc4", 1e-5},  {"knetc4lrn", 1e-5}};
  for (const auto& [arch, wd] : want) EXPECT_EQ(architecture_weight_decay(arch), wd) << arch;
  // The same rate as the built model reports.
  for (const auto& arch : architecture_names())
    EXPECT_EQ(architecture_weight_decay(arch),
              build_model(model_checks::options(arch, 3, 32))->default_weight_decay())
        << arch;
}

TEST(ModelRegistry, ModelOptionsFillsTheArchitecturesFields) {
  ModelOptions r = model_options("resnet18v2", model_params("resnet18v2", "{bn_momentum: 0.25, bn_eps: 0.001}"));
  EXPECT_EQ(r.architecture, "resnet18v2");
  EXPECT_EQ(r.bn_momentum, 0.25);
  EXPECT_EQ(r.bn_eps, 0.001);
  EXPECT_EQ(model_options("resnet18v2", model_params("resnet18v2")).bn_momentum, 0.003);  // the v2 default
  ModelOptions a = model_options("alexnet", model_params("alexnet", "{dropout: 0.3}"));
  EXPECT_EQ(a.dropout, 0.3);
  EXPECT_EQ(a.bn_momentum, -1.0);  // untouched: AlexNet has no batch norm
  ModelOptions k = model_options("knetlrn", model_params("knetlrn"));
  EXPECT_EQ(k.architecture, "knetlrn");
  EXPECT_EQ(k.bn_momentum, -1.0);
  EXPECT_EQ(k.dropout, 0.5);
}

TEST(ModelRegistry, MakeModelUsesTheDataShapeSeedAndRule) {
  const LayerRule fa = layer_rule("fa", parse_params(rule_registry().schema("fa"), YAML::Node(), ConfigSource{}, "rule"));
  Model m = make_model("knet", model_params("knet", "{bn_momentum: 0.2}"), 1, 16, 4, 7, fa);
  EXPECT_EQ(m->options().in_channels, 1);
  EXPECT_EQ(m->options().input_size, 16);
  EXPECT_EQ(m->options().num_classes, 4);
  EXPECT_EQ(m->options().seed, 7u);
  EXPECT_EQ(m->options().bn_momentum, 0.2);
  for (const auto& l : m->layers()) EXPECT_TRUE(l.layer->feedback().defined()) << l.name;
  m->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(m->forward(model_checks::images(2, 1, 16)).sizes(), (std::vector<int64_t>{2, 4}));
  // Same seed, same weights; another seed, other weights.
  Model same = make_model("knet", model_params("knet", "{bn_momentum: 0.2}"), 1, 16, 4, 7, fa);
  Model other = make_model("knet", model_params("knet", "{bn_momentum: 0.2}"), 1, 16, 4, 8, fa);
  EXPECT_TRUE(model_checks::same_state(*m, *same));
  EXPECT_FALSE(model_checks::same_state(*m, *other));
  // A projection head: the SimCLR network's output.
  Model simclr = make_model("knet", model_params("knet"), 3, 16, 10, 0, {}, 32);
  simclr->eval();
  EXPECT_EQ(simclr->forward(model_checks::images(2, 3, 16)).sizes(), (std::vector<int64_t>{2, 32}));
  EXPECT_EQ(simclr->layers().back().name, "head_contrastive/nl_1");
}

TEST(ModelRegistry, MakeModelRejectsShapesTheArchitectureCannotTake) {
  test::expect_error<ConfigError>([] { make_model("alexnet", model_params("alexnet"), 3, 10, 10, 0); },
                                  "input_size 10 is too small for alexnet (needs >= 11)");
  test::expect_error<ConfigError>([] { make_model("knet", model_params("knet"), 0, 32, 10, 0); }, "in_channels");
  test::expect_error<ConfigError>([] { make_model("knet", model_params("knet"), 3, 32, 1, 0); }, "num_classes");
  test::expect_error<ConfigError>([] { make_model("resnet18", model_params("resnet18"), 3, 32, 10, 0, {}, -1); },
                                  "projection_dim");
}

}  // namespace
}  // namespace lrid

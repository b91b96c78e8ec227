// Config parsing: defaults, overrides, aliases, and every malformed-config
// fixture in tests/fixtures/configs (one line naming file, key and line).
#include "training/config.h"

#include <gtest/gtest.h>

#include "core/errors.h"
#include "core/files.h"
#include "core/yaml_text.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

std::string fixture(const std::string& name) {
  return std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/" + name;
}

std::string error_of(const std::string& name, const std::vector<std::string>& overrides = {}) {
  return test::error_message<ConfigError>([&] { load_config(fixture(name), overrides); });
}

TEST(Config, GoodFileFillsDefaults) {
  Config c = load_config(fixture("good.yaml"));
  EXPECT_EQ(c.data.type, "synthetic");
  EXPECT_EQ(c.task.type, "supervised");
  EXPECT_EQ(c.optimizer.type, "sgd");  // the rule's default optimizer
  EXPECT_DOUBLE_EQ(c.optimizer.params.get_real("lr"), 0.1);
  EXPECT_DOUBLE_EQ(c.optimizer.params.get_real("momentum"), 0.9);
  EXPECT_DOUBLE_EQ(c.optimizer.params.get_real("weight_decay"), 1e-5);  // KNet's coupled L2
  EXPECT_EQ(c.run.params.get_int("batch_size"), 16);
  EXPECT_EQ(c.run.params.get_string("device"), "auto");
}

TEST(Config, AdamRuleDefaultsToAdamOptimizer) {
  Config c = load_config(fixture("good.yaml"), {"rule.type=adam"});
  EXPECT_EQ(c.optimizer.type, "adam");
  EXPECT_DOUBLE_EQ(c.optimizer.params.get_real("lr"), 1e-3);
}

// `lrid train configs/quickstart.yaml rule.type=adam`: the file's SGD does not
// apply to Adam's rule, which then trains with Adam at its defaults and says so.
TEST(Config, RuleNamedAloneOnAFileForAnotherOptimizerGetsItsOwnOptimizer) {
  const std::string quickstart = std::string(LRID_SOURCE_DIR) + "/configs/quickstart.yaml";
  Config c = load_config(quickstart, {"rule.type=adam"});
  EXPECT_EQ(c.optimizer.type, "adam");
  EXPECT_DOUBLE_EQ(c.optimizer.params.get_real("lr"), 1e-3);
  EXPECT_DOUBLE_EQ(c.optimizer.params.get_real("weight_decay"), 1e-5);  // KNet's
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_NE(c.notes[0].find("rule 'adam' trains W with 'adam'"), std::string::npos) << c.notes[0];
  // A weight decay the file sets is kept.
  test::TempDir t;
  write_file_atomic(t.path() / "sgd.yaml", read_file(fixture("good.yaml")) +
                                               "optimizer: {type: sgd, parameters: {lr: 0.05, weight_decay: 0.003}}\n");
  const Config kept = load_config((t.path() / "sgd.yaml").string(), {"rule.type=adam"});
  EXPECT_EQ(kept.optimizer.type, "adam");
  EXPECT_DOUBLE_EQ(kept.optimizer.params.get_real("weight_decay"), 0.003);
  EXPECT_TRUE(load_config(quickstart, {"rule.type=sgdm"}).notes.empty());
  // Both named on the command line, or both in the file: the conflict is the user's, and an error.
  EXPECT_NE(error_of("good.yaml", {"rule.type=adam", "optimizer.type=sgd"}).find("cannot be used with rule"),
            std::string::npos);
  EXPECT_NE(error_of("rule_optimizer_mismatch.yaml").find("cannot be used with rule"), std::string::npos);
}

TEST(Config, DottedOverrides) {
  Config c = load_config(fixture("good.yaml"),
                         {"optimizer.parameters.lr=0.01", "schedule.parameters.epochs=3",
                          "model.type=resnet18", "schedule.type=step",
                          "schedule.parameters.milestones=[0.5, 0.9]"});
  EXPECT_DOUBLE_EQ(c.optimizer.params.get_real("lr"), 0.01);
  EXPECT_DOUBLE_EQ(c.schedule.params.get_real("epochs"), 3);
  EXPECT_EQ(c.model.type, "resnet18");
  EXPECT_DOUBLE_EQ(c.optimizer.params.get_real("weight_decay"), 1e-4);  // ResNet's
  EXPECT_EQ(c.schedule.params.get_reals("milestones"), (std::vector<double>{0.5, 0.9}));
}

TEST(Config, ResolvedYamlRoundTrips) {
  Config c = load_config(fixture("good.yaml"));
  YAML::Node y = c.to_yaml();
  Config again = parse_config(y, ConfigSource{"resolved", {}});
  YAML::Emitter a, b;
  a << y;
  b << again.to_yaml();
  EXPECT_EQ(std::string(a.c_str()), std::string(b.c_str()));
}

TEST(Config, CopiesAreIndependent) {
  // yaml-cpp nodes are shared handles: a copy must not write through to the original.
  Config c = load_config(fixture("good.yaml"));
  Config copy = c;
  copy.optimizer.params.set("weight_decay", real_node(0.0));
  Params p = c.optimizer.params;
  p.set("lr", real_node(7.0));
  EXPECT_DOUBLE_EQ(c.optimizer.params.get_real("weight_decay"), 1e-5);
  EXPECT_DOUBLE_EQ(c.optimizer.params.get_real("lr"), 0.1);
  EXPECT_DOUBLE_EQ(copy.optimizer.params.get_real("weight_decay"), 0.0);
  EXPECT_DOUBLE_EQ(p.get_real("lr"), 7.0);
}

TEST(Config, FreshSeedsAreDrawnAndRecorded) {
  Config c = load_config(fixture("good.yaml"), {"run.parameters.model_seed=-1"});
  EXPECT_GE(c.run.params.get_int("model_seed"), 0);
  EXPECT_EQ(c.drawn_seeds, std::vector<std::string>{"model_seed"});
}

struct BadCase {
  const char* file;
  std::vector<std::string> must_contain;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.file; }

class BadConfig : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfig, RejectedWithOneLineNamingFileKeyAndLine) {
  const BadCase& c = GetParam();
  std::string msg = error_of(c.file);
  ASSERT_FALSE(msg.empty()) << c.file << " was accepted";
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_NE(msg.find(c.file), std::string::npos) << msg;
  for (const auto& s : c.must_contain) EXPECT_NE(msg.find(s), std::string::npos) << "'" << s << "' not in: " << msg;
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, BadConfig,
    ::testing::Values(
        BadCase{"unknown_key.yaml", {":11:", "optimizer.parameters.momentun", "unknown key"}},
        BadCase{"wrong_type.yaml", {":10:", "optimizer.parameters.lr", "expected a number", "fast"}},
        BadCase{"out_of_range.yaml", {":9:", "run.parameters.batch_size", "out of range", ">=1"}},
        BadCase{"unknown_section.yaml", {":7:", "trainer", "unknown section"}},
        BadCase{"unknown_type.yaml", {":4:", "model.type", "resnet99", "resnet18"}},
        BadCase{"missing_section.yaml", {"model", "missing"}},
        BadCase{"missing_required.yaml", {"data.parameters.root", "required"}},
        BadCase{"bad_list.yaml", {":10:", "schedule.parameters.milestones", "element 1", "1.5"}},
        BadCase{"rule_optimizer_mismatch.yaml", {"optimizer", "adam", "sgdm"}},
        BadCase{"syntax_error.yaml", {"YAML syntax error"}},
        BadCase{"not_a_map.yaml", {"map of sections"}},
        BadCase{"bad_choice.yaml", {":9:", "run.parameters.device", "tpu", "cuda"}},
        BadCase{"section_extra_key.yaml", {":3:", "data.params"}},
        BadCase{"bad_bool.yaml", {"optimizer.parameters.nesterov", "maybe"}}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      std::string n = info.param.file;
      return n.substr(0, n.find('.'));
    });

TEST(Config, BadOverridesNameTheOverride) {
  std::string msg = error_of("good.yaml", {"optimizer.parameters.lr=-1"});
  EXPECT_NE(msg.find("command-line override 'optimizer.parameters.lr'"), std::string::npos) << msg;
  msg = error_of("good.yaml", {"noequals"});
  EXPECT_NE(msg.find("key=value"), std::string::npos) << msg;
  msg = error_of("good.yaml", {"model.type.x=1"});
  EXPECT_NE(msg.find("not a map"), std::string::npos) << msg;
}

// Found by tests/fuzz/config_fuzz.cpp and sweep_fuzz.cpp (yaml-cpp exceptions
// escaped as std::terminate): an override on a file that is not a map, and a
// map key that is not a scalar, are ConfigErrors naming the file.
TEST(Config, OverridesOnANonMapAndNonScalarKeysAreConfigErrors) {
  std::string msg = error_of("not_a_map.yaml", {"rule.type=fa"});
  EXPECT_NE(msg.find("override 'rule.type=fa': the configuration is not a YAML map"), std::string::npos) << msg;
  test::TempDir dir;
  const std::string path = (dir.path() / "list_key.yaml").string();
  write_file_atomic(path, "data: {type: synthetic}\n[rule, type]: sgdm\n");
  msg = test::error_message<ConfigError>([&] { load_config(path); });
  EXPECT_NE(msg.find(path + ":2: "), std::string::npos) << msg;
}

// A directory opens as a file and fails on the first read with
// std::ios_base::failure (tests/fuzz/sweep_fuzz.cpp found it as `base: .`).
TEST(Config, ADirectoryIsAConfigError) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path());
  const std::string msg = test::error_message<ConfigError>([&] { load_config(dir.str()); });
  EXPECT_NE(msg.find(dir.str() + ": cannot read configuration file"), std::string::npos) << msg;
}

TEST(Config, MissingFileIsAConfigError) {
  EXPECT_THROW(load_config(fixture("does_not_exist.yaml")), ConfigError);
}

TEST(Config, EveryShippedConfigParses) {
  int parsed = 0;
  for (const auto& dir : {"configs", "configs/train", "configs/rules"}) {
    for (const auto& e : std::filesystem::directory_iterator(std::string(LRID_SOURCE_DIR) + "/" + dir)) {
      if (e.path().extension() != ".yaml") continue;
      try {
        // ... and its resolved form (config.yaml of a run) reloads to the same configuration.
        const Config c = load_config(e.path().string());
        const Config again = parse_config(YAML::Load(yaml_block(c.to_yaml())), ConfigSource{"resolved", {}});
        EXPECT_EQ(yaml_block(again.to_yaml()), yaml_block(c.to_yaml())) << e.path();
        ++parsed;
      } catch (const Error& err) {
        ADD_FAILURE() << e.path() << ": " << err.what();
      }
    }
  }
  EXPECT_GE(parsed, 15);  // the shipped configurations were found
}

}  // namespace
}  // namespace lrid

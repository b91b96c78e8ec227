// Every rule's defaults (rules/rule.cpp) train on every shipped training config:
// configs/quickstart.yaml and configs/train/*.yaml under each of the eight rules
// named alone (`rule.type=<rule>`), configs/rules/<rule>.yaml as they are, each
// supervised and SimCLR. Synthetic data, a few steps each at the config's step
// size for batch 128 (the quickstart's scale): a rule whose B or W blows up on an
// architecture, or a rule that cannot be combined with a config, fails here.
// Divergence on real data after many steps is bench/rules_quickstart.sh's check.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "core/params.h"
#include "test_paths.h"
#include "test_util.h"
#include "training/config.h"
#include "training/trainer.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

struct MatrixCase {
  std::string config;  // path relative to the source tree
  std::string rule;    // empty: the config's own rule (configs/rules)
  std::string task;    // supervised | simclr
};

// One test per shipped config and task, the rules run in turn inside it: a
// process per run would spend more on starting than on training.
struct MatrixRow {
  std::string config;
  std::vector<std::string> rules;  // {""}: the config's own rule
  std::string task;
};

void PrintTo(const MatrixRow& row, std::ostream* os) { *os << row.config << " " << row.task; }

std::string row_name(const testing::TestParamInfo<MatrixRow>& info) {
  std::string n = fs::path(info.param.config).parent_path().filename().string() + "_" +
                  fs::path(info.param.config).stem().string() + "_" + info.param.task;
  std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return n;
}

std::vector<std::string> shipped(const std::string& folder) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(LRID_SOURCE_DIR) / folder))
    if (e.path().extension() == ".yaml") out.push_back(folder + "/" + e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<MatrixRow> matrix() {
  const std::vector<std::string> rules = {"sgdm", "adam", "fa", "ia", "sa", "aa", "wm", "kp"};
  std::vector<std::string> named = {"configs/quickstart.yaml"};
  for (const auto& c : shipped("configs/train")) named.push_back(c);
  std::vector<MatrixRow> out;
  for (const std::string task : {"supervised", "simclr"}) {
    for (const auto& c : named) out.push_back({c, rules, task});
    for (const auto& c : shipped("configs/rules")) out.push_back({c, {""}, task});
  }
  return out;
}

// Steps per run by cost: a few for AlexNet's 4096-wide dense layers (and their B),
// more for the small KNets. ResNets train at width 8 (same depth and layer kinds).
// SimCLR's two views double a step's cost.
int64_t steps_for(const std::string& model, const std::string& task) {
  if (model.rfind("alexnet", 0) == 0) return task == "simclr" ? 2 : 4;
  if (model.rfind("resnet", 0) == 0) return 10;
  return 20;
}

// The overrides that bring a shipped config to this test's scale and nothing else.
std::vector<std::string> scale_down(const MatrixCase& m) {
  const std::string path = std::string(LRID_SOURCE_DIR) + "/" + m.config;
  const Config full = load_config(path);
  const bool grey = full.data.type == "fashion_mnist";
  const int64_t size = grey ? 28 : 32, batch = 16, steps = steps_for(full.model.type, m.task);
  std::vector<std::string> o;
  if (!m.rule.empty()) o.push_back("rule.type=" + m.rule);
  if (m.task != "supervised") o.push_back("task.type=" + m.task);
  o.push_back(fmt::format("data={{type: synthetic, parameters: {{num_classes: 10, channels: {}, image_size: {}, "
                          "train_size: {}, test_size: 32, input_size: {}}}}}",
                          grey ? 1 : 3, size, steps * batch, size));
  o.push_back(fmt::format("run.parameters.batch_size={}", batch));
  o.push_back("run.parameters.threads=1");
  o.push_back("observables.type=none");
  o.push_back("schedule.parameters.epochs=1");
  // Warm-up keeps its share of training.
  if (full.schedule.params.has("warmup_epochs"))
    o.push_back(fmt::format("schedule.parameters.warmup_epochs={}", full.schedule.params.get_real("warmup_epochs") /
                                                                        full.schedule.params.get_real("epochs")));
  // The step size of batch 128: a learning rate scaled by batch/reference keeps its value.
  if (full.optimizer.params.has("reference_batch_size") && m.rule != "adam" &&
      full.optimizer.params.get_int("reference_batch_size") > 0)
    o.push_back(fmt::format("optimizer.parameters.reference_batch_size={}",
                            full.optimizer.params.get_int("reference_batch_size") * batch / 128));
  if (full.model.type.rfind("resnet", 0) == 0) o.push_back("model.parameters.width=8");
  return o;
}

class RuleDefaults : public testing::TestWithParam<MatrixRow> {};

TEST_P(RuleDefaults, ShippedConfigTrainsUnderEveryRuleWithoutDivergence) {
  const MatrixRow& row = GetParam();
  test::TempDir t("rule_matrix");
  for (const auto& rule : row.rules) {
    SCOPED_TRACE("rule " + (rule.empty() ? std::string("of the file") : rule));
    const MatrixCase m{row.config, rule, row.task};
    const Config c = load_config(std::string(LRID_SOURCE_DIR) + "/" + m.config, scale_down(m));
    TrainOptions o;
    o.progress = false;
    const TrainResult r = train(c, t.path() / (rule.empty() ? "own" : rule), o);
    ASSERT_EQ(r.status, "finished") << r.reason;
    EXPECT_EQ(r.steps, steps_for(c.model.type, row.task));
    EXPECT_TRUE(std::isfinite(r.test_loss)) << r.test_loss;
  }
}

INSTANTIATE_TEST_SUITE_P(Matrix, RuleDefaults, testing::ValuesIn(matrix()), row_name);

}  // namespace
}  // namespace lrid

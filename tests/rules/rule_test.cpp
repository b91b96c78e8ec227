// Learning rules end to end: the registry, B's initialisation, FA leaving B
// bit-identical, whole networks under FA with B = W equal backprop, every
// layer learning under every rule, and Kolen-Pollack's W - B contraction.
#include "rules/rule.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "training/checkpoint.h"
#include "training/config.h"
#include "training/optimizer.h"
#include "core/files.h"
#include "training/trainer.h"
#include "models/registry.h"
#include "models/model_checks.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

Params rule_params(const std::string& rule, const std::string& yaml = "{}") {
  return parse_params(rule_registry().schema(rule), YAML::Load(yaml), ConfigSource{"test", {}}, "rule.parameters");
}

Model model_for(const std::string& arch, const std::string& rule, int64_t channels, int64_t size,
                const std::string& yaml = "{}", uint64_t seed = 0) {
  ModelOptions o = model_checks::options(arch, channels, size, seed);
  o.rule = layer_rule(rule, rule_params(rule, yaml));
  return build_model(o);
}

TEST(RuleRegistry, EightRulesAndTheOriginalAliases) {
  std::vector<std::string> want = {"sgdm", "adam", "fa", "ia", "sa", "aa", "wm", "kp"};
  EXPECT_EQ(rule_registry().names(), want);
  EXPECT_EQ(rule_registry().canonical("feedback", "test"), "fa");
  EXPECT_EQ(rule_registry().canonical("information", "test"), "ia");
  EXPECT_FALSE(rule_traits("sgdm").feedback);
  EXPECT_TRUE(rule_traits("fa").feedback);
  EXPECT_FALSE(rule_traits("fa").trainable_feedback);
  EXPECT_TRUE(rule_traits("ia").trainable_feedback);
  LayerRule ia = layer_rule("ia", rule_params("ia"));
  EXPECT_DOUBLE_EQ(ia.regularizer.amp, 2e-3);
  EXPECT_DOUBLE_EQ(ia.regularizer.null, 1e-3);
  EXPECT_DOUBLE_EQ(ia.regularizer.decay, 1e-3);
  EXPECT_TRUE(layer_rule("kp", rule_params("kp")).tie_grad);
  // Config: the alias resolves and W's optimizer defaults to SGD with momentum.
  Config c = load_config(std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/good.yaml", {"rule.type=information"});
  EXPECT_EQ(c.rule.type, "ia");
  EXPECT_EQ(c.optimizer.type, "sgd");
}

// IA, AA and WM train B by Adam at 1e-3 unless told otherwise (rules/rule.cpp says
// why); SA and KP keep W's optimizer and step size, FA has no B optimizer.
TEST(RuleDefaults, BOptimizerIsAdamForIaAaWmAndWsForSaKp) {
  for (const std::string rule : {"ia", "aa", "wm"}) {
    const RuleOptions o = rule_options(rule, rule_params(rule));
    EXPECT_EQ(o.feedback.optimizer, "adam") << rule;
    EXPECT_EQ(o.feedback.lr, 1e-3) << rule;
    EXPECT_EQ(o.feedback.alignment_rate, 1.0) << rule;
  }
  for (const std::string rule : {"sa", "kp"}) {
    const RuleOptions o = rule_options(rule, rule_params(rule));
    EXPECT_EQ(o.feedback.optimizer, "same") << rule;
    EXPECT_EQ(o.feedback.lr, 0.0) << rule;
  }
  const RuleOptions same = rule_options("ia", rule_params("ia", "{feedback_optimizer: same, feedback_lr: 0}"));
  EXPECT_EQ(same.feedback.optimizer, "same");
  EXPECT_EQ(same.feedback.lr, 0.0);
}

TEST(FeedbackInit, IndependentOfWWithWsDistributionAndNamedParameter) {
  Model m = model_for("alexnet", "fa", 3, 64);
  Model bp = model_for("alexnet", "sgdm", 3, 64);
  for (std::size_t i = 0; i < m->layers().size(); ++i) {
    auto& l = m->layers()[i];
    torch::Tensor w = l.layer->weight(), b = l.layer->feedback();
    ASSERT_TRUE(b.defined()) << l.name;
    EXPECT_FALSE(b.requires_grad()) << "FA's B is fixed";
    EXPECT_TRUE(torch::equal(w, bp->layers()[i].layer->weight())) << "W is the same under every rule";
    if (w.numel() > 20000) {
      torch::Tensor wf = w.flatten().to(torch::kFloat64), bf = b.flatten().to(torch::kFloat64);
      double corr = torch::corrcoef(torch::stack({wf, bf})).index({0, 1}).item<double>();
      EXPECT_LT(std::abs(corr), 0.05) << l.name;
      EXPECT_NEAR(bf.std().item<double>() / wf.std().item<double>(), 1.0, 0.05) << l.name;
      EXPECT_LE(bf.abs().max().item<double>(), wf.abs().max().item<double>() * 1.05 + 1e-12) << l.name;
    }
  }
  bool named = false;
  for (const auto& p : m->named_parameters(true))
    if (p.key().find("feedback") != std::string::npos) named = true;
  EXPECT_TRUE(named);
  Model copy = model_for("knet", "fa", 1, 28, "{feedback_init: copy_forward}");
  for (const auto& l : copy->layers()) EXPECT_TRUE(torch::equal(l.layer->weight(), l.layer->feedback()));
}

TEST(FeedbackParamGroups, BIsNeverDecayedAndOnlyTrainableBIsOptimized) {
  Model fa = model_for("knet", "fa", 1, 28), ia = model_for("knet", "ia", 1, 28);
  ParamGroups gf = model_param_groups(*fa), gi = model_param_groups(*ia);
  EXPECT_TRUE(gf.feedback.empty());
  EXPECT_EQ(gi.feedback.size(), ia->layers().size());
  for (const auto& l : ia->layers())
    for (const auto& t : gi.decayed) EXPECT_FALSE(t.is_same(l.layer->feedback())) << l.name;
}

// Full-batch gradients of every parameter for one forward/backward pass (double precision).
std::map<std::string, torch::Tensor> gradients(Model m, const torch::Tensor& x, const torch::Tensor& y) {
  m->to(torch::kFloat64);
  m->train();
  m->zero_grad();
  torch::manual_seed(7);  // one dropout mask for both passes
  torch::nn::functional::cross_entropy(m->forward(x), y).backward();
  std::map<std::string, torch::Tensor> g;
  for (const auto& p : m->named_parameters())
    if (p.value().grad().defined()) g[p.key()] = p.value().grad().clone();
  return g;
}

TEST(WholeNetwork, FaWithBEqualToWEqualsBackprop) {
  struct Case { const char* arch; int64_t channels, size; };
  for (const Case& c : {Case{"resnet18", 3, 32}, Case{"resnet18v2", 3, 32}, Case{"alexnet", 3, 64},
                        Case{"knet", 1, 28}, Case{"knetc4lrn", 3, 32}}) {
    torch::manual_seed(1);
    torch::Tensor x = torch::randn({4, c.channels, c.size, c.size}, torch::kFloat64);
    torch::Tensor y = torch::randint(0, 10, {4});
    Model bp = model_for(c.arch, "sgdm", c.channels, c.size);
    Model fa = model_for(c.arch, "fa", c.channels, c.size, "{feedback_init: copy_forward}");
    // ResNet v1 starts with zero last-BN gammas; give them values so every path carries error.
    for (Model m : {bp, fa}) {
      torch::NoGradGuard g;
      for (auto& p : m->named_parameters())
        if (p.key().find("bn2.weight") != std::string::npos) p.value().fill_(0.5);
    }
    auto gb = gradients(bp, x, y), gf = gradients(fa, x, y);
    ASSERT_EQ(gb.size(), gf.size()) << c.arch;
    for (const auto& [k, v] : gb) {
      double err = ((gf.at(k) - v).norm() / v.norm().clamp_min(1e-30)).item<double>();
      EXPECT_LE(err, 1e-6) << c.arch << " " << k;
    }
  }
}

std::string fixture() { return std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/good.yaml"; }

std::map<std::string, torch::Tensor> trained_state(const fs::path& dir, const Config& c) {
  Model m = make_model(c.model.type, c.model.params, 1, 16, 4, 0, layer_rule(c.rule.type, c.rule.params));
  load_checkpoint(list_checkpoints(dir).back().second.string(), *m);
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m->named_parameters()) out[p.key()] = p.value().clone();
  return out;
}

TEST(FeedbackAlignment, BIsBitIdenticalAfter100StepsOfSgdmNesterovAndAdam) {
  test::TempDir t("fa_fixed");
  Config base = load_config(fixture(), {"rule.type=fa"});
  Model init = make_model(base.model.type, base.model.params, 1, 16, 4, 0, layer_rule("fa", base.rule.params));
  std::vector<std::vector<std::string>> variants = {
      {"optimizer.type=sgd"}, {"optimizer.type=sgd", "optimizer.parameters.nesterov=true"},
      {"optimizer.type=adam", "optimizer.parameters.lr=1e-3"}};
  int i = 0;
  for (auto v : variants) {
    v.insert(v.end(), {"rule.type=fa", "schedule.parameters.epochs=25", "optimizer.parameters.weight_decay=0.01"});
    Config c = load_config(fixture(), v);  // 64 images / 16 = 4 steps per epoch: 100 steps
    TrainOptions o;
    o.progress = false;
    fs::path dir = t.path() / std::to_string(i++);
    ASSERT_EQ(train(c, dir, o).status, "finished");
    auto state = trained_state(dir, c);
    int checked = 0;
    for (const auto& l : init->layers()) {
      EXPECT_TRUE(torch::equal(state.at(l.name + ".feedback"), l.layer->feedback())) << l.name;
      ++checked;
    }
    EXPECT_EQ(checked, static_cast<int>(init->layers().size()));
    // W did move.
    EXPECT_FALSE(torch::equal(state.at("conv2.weight"), init->layers()[1].layer->weight()));
  }
}

TEST(EveryRule, EveryLayerLearns) {
  test::TempDir t("every_layer");
  for (const std::string rule : {"sgdm", "adam", "fa", "ia", "sa", "aa", "wm", "kp"}) {
    std::vector<std::string> o_ = {"rule.type=" + rule, "schedule.parameters.epochs=3",
                                   "optimizer.parameters.lr=" + std::string(rule == "adam" ? "1e-3" : "0.05")};
    Config c = load_config(fixture(), o_);
    TrainOptions o;
    o.progress = false;
    fs::path dir = t.path() / rule;
    ASSERT_EQ(train(c, dir, o).status, "finished") << rule;
    Model init = make_model(c.model.type, c.model.params, 1, 16, 4, 0, layer_rule(c.rule.type, c.rule.params));
    auto state = trained_state(dir, c);
    for (const auto& l : init->layers()) {
      const torch::Tensor& w0 = l.layer->weight();
      torch::Tensor w1 = state.at(l.name + ".weight");
      double change = ((w1 - w0).norm() / w0.norm()).item<double>();
      EXPECT_GT(change, 1e-3) << rule << " " << l.name;
      if (rule != "sgdm" && rule != "adam" && rule != "fa") {
        torch::Tensor b1 = state.at(l.name + ".feedback");
        EXPECT_FALSE(torch::equal(b1, l.layer->feedback())) << rule << " B of " << l.name << " did not learn";
      }
    }
  }
}

TEST(KolenPollack, WMinusBContractsByOneMinusEtaLambda) {
  // Plain SGD (no momentum), coupled L2 lambda on W, decay alpha on B with 2 alpha = lambda.
  torch::manual_seed(3);
  const double lambda = 0.1, eta = 0.05;
  ModelOptions o;
  o.architecture = "knetlrn";
  o.in_channels = 1;
  o.input_size = 16;
  o.num_classes = 4;
  o.rule = layer_rule("kp", rule_params("kp", "{alpha: 0.05}"));
  Model m = build_model(o);
  m->to(torch::kFloat64);
  ParamGroups g = model_param_groups(*m);
  YAML::Node sgd = YAML::Load("{momentum: 0, weight_decay: 0.1}");
  auto sgd_options = [](const YAML::Node& n) {
    return optimizer_options("sgd", parse_params(optimizer_registry().schema("sgd"), n, ConfigSource{"t", {}}, "o"));
  };
  auto wopt = make_optimizer(sgd_options(sgd), ParamGroups{g.decayed, g.not_decayed, {}}, eta);
  YAML::Node sgd0 = YAML::Load("{momentum: 0, weight_decay: 0}");
  auto bopt = make_optimizer(sgd_options(sgd0), ParamGroups{g.feedback, {}, {}}, eta);
  auto gap = [&](const LayerInfo& l) { return (l.layer->weight() - l.layer->feedback()).detach().clone(); };
  std::vector<torch::Tensor> before;
  for (const auto& l : m->layers()) before.push_back(gap(l));
  torch::Tensor x = torch::randn({8, 1, 16, 16}, torch::kFloat64);
  torch::Tensor y = torch::randint(0, 4, {8});
  wopt->zero_grad();
  bopt->zero_grad();
  torch::Tensor task = torch::nn::functional::cross_entropy(m->forward(x), y);
  torch::Tensor loss = task + m->take_alignment_loss();  // after the forward pass
  loss.backward();
  wopt->step();
  bopt->step();
  for (std::size_t i = 0; i < m->layers().size(); ++i) {
    const auto& l = m->layers()[i];
    // The bias is decayed too but has no B; only kernels are compared.
    EXPECT_TRUE(torch::allclose(gap(l), (1 - eta * lambda) * before[i], 1e-12, 1e-14)) << l.name;
  }
}

// KP's decay gradient applied by B's optimizer as weight decay (what the trainer
// does, rules/rule.h) gives the update of the loss's own gradient: W and B equal
// after three SGD-momentum steps, in double; and the loss reports the same value.
TEST(KolenPollack, DecayByBsOptimizerEqualsDecayThroughTheLoss) {
  const RuleOptions kp = rule_options("kp", rule_params("kp", "{alpha: 0.05, alignment_rate: 0.5}"));
  ASSERT_TRUE(feedback_decay_by_optimizer(kp));
  EXPECT_DOUBLE_EQ(feedback_weight_decay(kp), 0.5 * 2 * 0.05);
  EXPECT_FALSE(feedback_decay_by_optimizer(rule_options("ia", rule_params("ia"))));  // amp and null too
  EXPECT_FALSE(feedback_decay_by_optimizer(rule_options("sa", rule_params("sa"))));  // self too
  EXPECT_EQ(feedback_weight_decay(rule_options("sa", rule_params("sa"))), 0.0);

  auto sgd = [](double wd) {
    YAML::Node n = YAML::Load("{momentum: 0.9}");
    n["weight_decay"] = wd;
    return optimizer_options("sgd", parse_params(optimizer_registry().schema("sgd"), n, ConfigSource{"t", {}}, "o"));
  };
  std::vector<std::vector<torch::Tensor>> finals;
  std::vector<double> values;
  for (bool by_optimizer : {false, true}) {
    ModelOptions o = model_checks::options("knetlrn", 1, 16, 3);
    o.rule = kp.layer;
    o.rule.regularizer.decay_grad_by_optimizer = by_optimizer;
    Model m = build_model(o);
    m->to(torch::kFloat64);
    ParamGroups g = model_param_groups(*m);
    auto wopt = make_optimizer(sgd(1e-3), ParamGroups{g.decayed, g.not_decayed, {}}, 0.05);
    const double b_decay = by_optimizer ? feedback_weight_decay(kp) : 0.0;
    auto bopt = make_optimizer(sgd(b_decay), ParamGroups{g.feedback, {}, {}}, 0.05);
    torch::manual_seed(4);
    for (int step = 0; step < 3; ++step) {
      torch::Tensor x = torch::randn({8, 1, 16, 16}, torch::kFloat64);
      torch::Tensor y = torch::randint(0, 4, {8});
      wopt->zero_grad();
      bopt->zero_grad();
      torch::Tensor task = torch::nn::functional::cross_entropy(m->forward(x), y);
      torch::Tensor align = m->take_alignment_loss();
      ASSERT_TRUE(align.defined());
      EXPECT_EQ(align.requires_grad(), !by_optimizer);  // decay alone: the value, no gradient
      if (step == 0) values.push_back(align.item<double>());
      (task + kp.feedback.alignment_rate * align).backward();
      wopt->step();
      bopt->step();
    }
    std::vector<torch::Tensor> p;
    for (const auto& l : m->layers()) {
      p.push_back(l.layer->weight().detach().clone());
      p.push_back(l.layer->feedback().detach().clone());
    }
    finals.push_back(p);
  }
  EXPECT_NEAR(values[0], values[1], 1e-12 * std::abs(values[0]));
  for (std::size_t i = 0; i < finals[0].size(); ++i)
    EXPECT_TRUE(torch::allclose(finals[0][i], finals[1][i], 1e-10, 1e-13)) << i;
  // The test would notice a missing decay: B moved by it (decay x lr x steps ~ 1e-2 relative).
  ModelOptions o = model_checks::options("knetlrn", 1, 16, 3);
  o.rule = kp.layer;
  Model fresh = build_model(o);
  EXPECT_FALSE(torch::allclose(fresh->layers()[0].layer->feedback().to(torch::kFloat64), finals[0][1], 1e-6, 1e-8));
}

TEST(AlignmentMetrics, AnglesAreRecordedAndIaAlignsBetterThanFa) {
  test::TempDir t("angles");
  std::map<std::string, double> top_angle;
  for (const std::string rule : {"fa", "ia"}) {
    Config c = load_config(fixture(), {"rule.type=" + rule, "schedule.parameters.epochs=20",
                                       "rule.parameters.metrics_every=10", "optimizer.parameters.lr=0.05",
                                       "rule.parameters.feedback_init=independent"});
    TrainOptions o;
    o.progress = false;
    ASSERT_EQ(train(c, t.path() / rule, o).status, "finished");
    std::istringstream in(read_file(t.path() / rule / "alignment.csv"));
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "step,layer,weight_angle,gradient_angle");
    int rows = 0;
    while (std::getline(in, line)) {
      ++rows;
      if (line.find(",fc4,") != std::string::npos) {
        auto a = line.find(",fc4,") + 5;
        top_angle[rule] = std::stod(line.substr(a, line.find(',', a) - a));
      }
    }
    EXPECT_EQ(rows, 8 * 4);  // 80 steps / 10, four layers
  }
  EXPECT_LT(top_angle["ia"], top_angle["fa"]);
}

}  // namespace
}  // namespace lrid

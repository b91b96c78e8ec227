// Optimizer steps against golden values from torch.optim (tests/golden/
// make_optimizer_golden.py) and against hand-computed values; parameter groups.
#include "training/optimizer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include "training/config.h"
#include "models/registry.h"
#include "test_paths.h"

namespace lrid {
namespace {

torch::Tensor vec(const YAML::Node& n) {
  std::vector<double> v;
  for (const auto& e : n) v.push_back(e.as<double>());
  return torch::tensor(v, torch::kFloat64);
}

OptimizerOptions optimizer_params(const std::string& type, const YAML::Node& extra, double wd) {
  YAML::Node node(YAML::NodeType::Map);
  for (const auto& kv : extra) node[kv.first.as<std::string>()] = kv.second;
  node["weight_decay"] = wd;
  return optimizer_options(
      type, parse_params(optimizer_registry().schema(type), node, ConfigSource{"test", {}}, "optimizer.parameters"));
}

TEST(OptimizerGolden, MatchesTorchOptimOverFourSteps) {
  YAML::Node golden = YAML::LoadFile(std::string(LRID_SOURCE_DIR) + "/tests/golden/optimizer_steps.json");
  for (const auto& c : golden["cases"]) {
    const std::string name = c.first.as<std::string>();
    const std::string type = name.rfind("sgd", 0) == 0 ? "sgd" : "adam";
    torch::Tensor w = vec(golden["w0"]).reshape({3, 4}).requires_grad_(true);
    torch::Tensor gamma = vec(golden["gamma0"]).requires_grad_(true);
    ParamGroups groups{{w}, {gamma}, {}};
    auto opt = make_optimizer(optimizer_params(type, c.second["params"], golden["weight_decay"].as<double>()),
                              groups, golden["lrs"][0].as<double>());
    for (std::size_t s = 0; s < golden["lrs"].size(); ++s) {
      set_learning_rate(*opt, golden["lrs"][s].as<double>());
      w.mutable_grad() = vec(golden["grads"][s]["w"]).reshape({3, 4});
      gamma.mutable_grad() = vec(golden["grads"][s]["gamma"]);
      opt->step();
      torch::Tensor want_w = vec(c.second["after"][s]["w"]).reshape({3, 4});
      torch::Tensor want_g = vec(c.second["after"][s]["gamma"]);
      EXPECT_TRUE(torch::allclose(w, want_w, 1e-12, 1e-14)) << name << " step " << s << " W";
      EXPECT_TRUE(torch::allclose(gamma, want_g, 1e-12, 1e-14)) << name << " step " << s << " gamma";
    }
  }
}

// Two steps on theta=1 with constant gradient 0.5, lr 0.1, coupled L2 0.1 (hand-computed).
double two_steps(const std::string& type, bool nesterov) {
  torch::Tensor t = torch::ones({1}, torch::kFloat64).requires_grad_(true);
  YAML::Node extra(YAML::NodeType::Map);
  if (type == "sgd") extra["nesterov"] = nesterov;
  auto opt = make_optimizer(optimizer_params(type, extra, 0.1), ParamGroups{{t}, {}, {}}, 0.1);
  for (int s = 0; s < 2; ++s) {
    t.mutable_grad() = torch::full({1}, 0.5, torch::kFloat64);
    opt->step();
  }
  return t.item<double>();
}

TEST(OptimizerHand, SgdMomentumCoupledL2) {
  // a1 = 0.5+0.1 = 0.6, th1 = 0.94; a2 = 0.54 + 0.5 + 0.094 = 1.134, th2 = 0.8266.
  EXPECT_NEAR(two_steps("sgd", false), 0.8266, 1e-14);
}

TEST(OptimizerHand, SgdNesterovCoupledL2) {
  // th1 = 1 - 0.1*(0.6 + 0.54) = 0.886; g2 = 0.5886, a2 = 1.1286; th2 = 0.886 - 0.1*(0.5886 + 1.01574).
  EXPECT_NEAR(two_steps("sgd", true), 0.725566, 1e-14);
}

TEST(OptimizerHand, AdamCoupledL2) {
  // Step 1: m^ = 0.6, v^ = 0.36: th1 = 1 - 0.1*0.6/(0.6+1e-8).
  const double th1 = 1 - 0.1 * 0.6 / (0.6 + 1e-8);
  const double g2 = 0.5 + 0.1 * th1;
  const double m = 0.9 * 0.06 + 0.1 * g2, v = 0.999 * 0.00036 + 0.001 * g2 * g2;
  const double mh = m / (1 - 0.81), vh = v / (1 - 0.999 * 0.999);
  EXPECT_NEAR(two_steps("adam", false), th1 - 0.1 * mh / (std::sqrt(vh) + 1e-8), 1e-14);
}

TEST(OptimizerGroups, BatchNormIsNotDecayedAndEveryLayerKernelIs) {
  ModelOptions o;
  o.architecture = "knet";
  o.in_channels = 1;
  o.input_size = 28;
  Model m = build_model(o);
  ParamGroups g = model_param_groups(*m);
  std::size_t layer_tensors = 0;
  for (const auto& l : m->layers()) layer_tensors += 1 + (l.layer->bias().defined() ? 1 : 0);
  EXPECT_EQ(g.decayed.size(), layer_tensors);
  EXPECT_EQ(g.decayed.size() + g.not_decayed.size(), m->parameters().size());
  for (const auto& p : m->named_parameters()) {
    bool decayed = std::any_of(g.decayed.begin(), g.decayed.end(),
                               [&](const torch::Tensor& t) { return t.is_same(p.value()); });
    bool is_bn = p.key().find("bn") != std::string::npos || p.key().find("norm") != std::string::npos;
    if (is_bn) {
      EXPECT_FALSE(decayed) << p.key();
    }
  }
}

TEST(OptimizerGroups, SgdAppliesWeightDecayOnlyToDecayedGroup) {
  torch::Tensor w = torch::ones({2}, torch::kFloat64).requires_grad_(true);
  torch::Tensor b = torch::ones({2}, torch::kFloat64).requires_grad_(true);
  YAML::Node extra(YAML::NodeType::Map);
  extra["momentum"] = 0.0;
  auto opt = make_optimizer(optimizer_params("sgd", extra, 0.5), ParamGroups{{w}, {b}, {}}, 1.0);
  w.mutable_grad() = torch::zeros({2}, torch::kFloat64);
  b.mutable_grad() = torch::zeros({2}, torch::kFloat64);
  opt->step();
  EXPECT_DOUBLE_EQ(w[0].item<double>(), 0.5);  // 1 - 1.0 * 0.5 * 1
  EXPECT_DOUBLE_EQ(b[0].item<double>(), 1.0);
}

TEST(OptimizerLr, ReferenceBatchScaling) {
  YAML::Node extra(YAML::NodeType::Map);
  extra["reference_batch_size"] = 256;
  OptimizerOptions p = optimizer_params("sgd", extra, 0.0);
  EXPECT_DOUBLE_EQ(base_learning_rate(p, 128), 0.05);
  EXPECT_DOUBLE_EQ(base_learning_rate(p, 512), 0.2);
}

}  // namespace
}  // namespace lrid

// Tasks: NT-Xent against the loop-by-loop float64 reference of
// tests/golden/make_simclr_golden.py (loss, correct count, autograd gradient),
// its limiting cases, and the simclr task's schema and weight decay.
#include "training/task.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include "training/config.h"
#include "core/errors.h"
#include "test_paths.h"

namespace lrid {
namespace {

TEST(NtXent, MatchesTheReferenceLossCountAndGradient) {
  YAML::Node g = YAML::LoadFile(std::string(LRID_SOURCE_DIR) + "/tests/golden/simclr.json")["nt_xent"];
  ASSERT_EQ(g.size(), 3u);
  for (const auto& c : g) {
    const auto n = c["n"].as<int64_t>(), p = c["p"].as<int64_t>();
    torch::Tensor z = torch::tensor(c["z"].as<std::vector<double>>(), torch::kFloat64).view({2 * n, p});
    z.requires_grad_(true);
    NtXent r = nt_xent(z, c["temperature"].as<double>());
    EXPECT_NEAR(r.loss.item<double>(), c["loss"].as<double>(), 1e-10) << "n " << n;
    EXPECT_EQ(r.correct.item<int64_t>(), c["correct"].as<int64_t>());
    r.loss.backward();
    torch::Tensor want = torch::tensor(c["grad"].as<std::vector<double>>(), torch::kFloat64).view({2 * n, p});
    EXPECT_TRUE(torch::allclose(z.grad(), want, 1e-9, 1e-10)) << "n " << n;
  }
}

TEST(NtXent, IdenticalOrthogonalViewsAreAllCorrectWithLowLoss) {
  // Views equal, rows orthonormal: the positive's logit is 1/τ, every negative 0.
  torch::Tensor e = torch::eye(4, torch::kFloat64);
  torch::Tensor z = torch::cat({e, e}, 0) * 3.0;  // the scale is normalised away
  const double tau = 0.05;
  NtXent r = nt_xent(z, tau);
  EXPECT_EQ(r.correct.item<int64_t>(), 8);
  // Each row: CE = log(e^{1/τ} + 6 e^0 (+ the masked self)) - 1/τ; two means of equal rows.
  const double row = std::log(std::exp(1 / tau) + 6.0) - 1 / tau;
  EXPECT_NEAR(r.loss.item<double>(), 2 * row, 1e-9);
  EXPECT_THROW(nt_xent(torch::ones({3, 2}), 0.1), c10::Error);  // odd row count
}

TEST(SimclrTask, SchemaAndWeightDecay) {
  const std::string good = std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/good.yaml";
  Config c = load_config(good, {"task.type=simclr"});
  EXPECT_DOUBLE_EQ(c.optimizer.params.get_real("weight_decay"), 1e-6);  // SimCLR's, not KNet's 1e-5
  EXPECT_DOUBLE_EQ(c.task.params.get_real("temperature"), 0.1);
  auto task = make_task(task_options("simclr", c.task.params));
  EXPECT_EQ(task->projection_dim(), 128);
  EXPECT_TRUE(task->views().enabled);
  EXPECT_FALSE(make_task(task_options("supervised", {}))->views().enabled);
  EXPECT_THROW(load_config(good, {"task.type=simclr", "task.parameters.temperature=0"}), ConfigError);
  EXPECT_THROW(load_config(good, {"task.type=simclr", "task.parameters.blur_prob=1.5"}), ConfigError);
  EXPECT_THROW(load_config(good, {"task.parameters.temperature=0.1"}), ConfigError);  // supervised has none
  // An explicit optimizer weight decay wins.
  Config w = load_config(good, {"task.type=simclr", "optimizer.parameters.weight_decay=0.001"});
  EXPECT_DOUBLE_EQ(w.optimizer.params.get_real("weight_decay"), 1e-3);
}

}  // namespace
}  // namespace lrid

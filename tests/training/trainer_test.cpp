// Training end to end on seeded synthetic data: determinism (bit-identical
// weights), resume equals uninterrupted (also past a corrupt newest checkpoint),
// run-directory contents, divergence.
#include "training/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "training/checkpoint.h"
#include "training/compute_settings.h"
#include "core/errors.h"
#include "core/files.h"
#include "core/run_status.h"
#include "models/registry.h"
#include "rules/rule.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

Config trainer_config(std::vector<std::string> extra = {}) {
  std::vector<std::string> o = {"schedule.type=step", "schedule.parameters.epochs=2",
                                "schedule.parameters.milestones=[0.5]", "run.parameters.threads=1",
                                "run.parameters.checkpoint_every=0.5", "run.parameters.log_every=2",
                                "run.parameters.keep_checkpoints=10", "data.parameters.crop_padding=2",
                                "data.parameters.hflip=true"};
  o.insert(o.end(), extra.begin(), extra.end());
  return load_config(std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/good.yaml", o);
}

std::map<std::string, torch::Tensor> final_state(const fs::path& run_dir, const Config& c) {
  Model m = make_model(c.model.type, c.model.params, 1, 16, 4, 0, layer_rule(c.rule.type, c.rule.params));
  load_checkpoint(list_checkpoints(run_dir).back().second.string(), *m);
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m->named_parameters()) out[p.key()] = p.value().clone();
  for (const auto& b : m->named_buffers()) out[b.key()] = b.value().clone();
  return out;
}

// metrics.csv without the two timing columns (record_time_s, wall_time_s).
std::string metrics_without_time(const fs::path& run_dir) {
  std::istringstream in(read_file(run_dir / "metrics.csv"));
  std::string line, out;
  while (std::getline(in, line)) {
    line = line.substr(0, line.rfind(','));
    out += line.substr(0, line.rfind(',')) + "\n";
  }
  return out;
}

void expect_identical(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [k, v] : a) EXPECT_TRUE(torch::equal(v, b.at(k))) << k;
}

TEST(Trainer, SameSeedsGiveBitIdenticalWeights) {
  TempDir t;
  Config c = trainer_config();
  TrainOptions o;
  o.progress = false;
  ASSERT_EQ(train(c, t.path() / "a", o).status, "finished");
  ASSERT_EQ(train(c, t.path() / "b", o).status, "finished");
  expect_identical(final_state(t.path() / "a", c), final_state(t.path() / "b", c));
  EXPECT_EQ(metrics_without_time(t.path() / "a"), metrics_without_time(t.path() / "b"));
  // A different model seed gives different weights.
  Config c2 = trainer_config({"run.parameters.model_seed=1"});
  ASSERT_EQ(train(c2, t.path() / "c", o).status, "finished");
  auto a = final_state(t.path() / "a", c), s2 = final_state(t.path() / "c", c2);
  EXPECT_FALSE(torch::equal(a.begin()->second, s2.begin()->second));
}

TEST(Trainer, ResumeEqualsUninterrupted) {
  TempDir t;
  for (const char* rule : {"sgdm", "adam", "ia", "kp"}) {
    std::vector<std::string> extra = {std::string("rule.type=") + rule};
    Config c = trainer_config(extra);
    TrainOptions o;
    o.progress = false;
    fs::path full = t.path() / (std::string(rule) + "_full"), cut = t.path() / (std::string(rule) + "_cut");
    ASSERT_EQ(train(c, full, o).status, "finished");
    // Interrupt after the first checkpoint (2 steps in; 4 steps per epoch), mid-epoch.
    TrainOptions stop = o;
    stop.stop_at_step = 3;
    ASSERT_EQ(train(c, cut, stop).status, "interrupted");
    EXPECT_EQ(status_name(cut), "running");
    EXPECT_EQ(list_checkpoints(cut).back().first, 2);
    TrainResult r = train(c, cut, o);
    ASSERT_EQ(r.status, "finished");
    expect_identical(final_state(full, c), final_state(cut, c));
    EXPECT_EQ(metrics_without_time(full), metrics_without_time(cut)) << rule;
  }
}

TEST(Trainer, ResumeSetsACorruptNewestCheckpointAsideAndResumesFromThePreviousOne) {
  TempDir t;
  const Config c = trainer_config({"observables.parameters.points=5", "observables.parameters.probe_size=16"});
  TrainOptions o;
  o.progress = false;
  const fs::path full = t.path() / "full", cut = t.path() / "cut";
  ASSERT_EQ(train(c, full, o).status, "finished");
  TrainOptions stop = o;
  stop.stop_at_step = 5;
  ASSERT_EQ(train(c, cut, stop).status, "interrupted");
  ASSERT_EQ(list_checkpoints(cut).back().first, 4);
  // The newest checkpoint cut short (a copy of the run directory that stopped early, a failing disk).
  const fs::path newest = cut / "checkpoints" / "step_4.pt";
  fs::resize_file(newest, fs::file_size(newest) / 3);
  ::testing::internal::CaptureStderr();
  ASSERT_EQ(train(c, cut, o).status, "finished");
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(err.rfind("lrid: warning: " + newest.string() + ": corrupt checkpoint: ", 0), 0u) << err;
  EXPECT_NE(err.find("renamed it to step_4.pt.corrupt, resuming from step 2"), std::string::npos) << err;
  EXPECT_TRUE(fs::exists(newest.string() + ".corrupt"));  // kept for a post-mortem, not deleted
  // From step 2 on, as if uninterrupted: weights, metrics rows and streams.
  expect_identical(final_state(full, c), final_state(cut, c));
  EXPECT_EQ(metrics_without_time(full), metrics_without_time(cut));
  std::string stream = read_file(cut / "observables" / "full.csv");  // the run column holds the run's name
  for (auto at = stream.find("\ncut,"); at != std::string::npos; at = stream.find("\ncut,", at))
    stream.replace(at, 5, "\nfull,");
  EXPECT_EQ(read_file(full / "observables" / "full.csv"), stream);
  // When no checkpoint loads, one error naming the folder and the newest's fault.
  write_status(cut, RunStatus{"running", 8, 8, "", std::nullopt});
  for (const auto& [step, file] : list_checkpoints(cut)) fs::resize_file(file, 10);
  ::testing::internal::CaptureStderr();
  test::expect_error<IoError>([&] { train(c, cut, o); }, (cut / "checkpoints").string() + ": no checkpoint loads");
  ::testing::internal::GetCapturedStderr();
}

TEST(Trainer, RunDirectoryContents) {
  TempDir t;
  Config c = trainer_config();
  TrainOptions o;
  o.progress = false;
  TrainResult r = train(c, t.path() / "run", o);
  ASSERT_EQ(r.status, "finished");
  EXPECT_TRUE(fs::exists(t.path() / "run" / "config.yaml"));
  EXPECT_EQ(status_name(t.path() / "run"), "finished");
  std::string metrics = read_file(t.path() / "run" / "metrics.csv");
  EXPECT_EQ(metrics.rfind("step,epoch,split,loss,accuracy,alignment_loss,lr,record_time_s,wall_time_s\n", 0), 0u);
  EXPECT_NE(metrics.find(",test,"), std::string::npos);
  EXPECT_NE(metrics.find(",train,"), std::string::npos);
  // The resolved config (precision and memory_format resolved from auto) reloads to the same configuration.
  Config again = load_config((t.path() / "run" / "config.yaml").string());
  Config resolved = c;
  resolve_compute_settings(resolved);
  EXPECT_NE(again.run.params.get_string("precision"), "auto");
  YAML::Emitter a, b;
  a << resolved.to_yaml();
  b << again.to_yaml();
  EXPECT_EQ(std::string(a.c_str()), std::string(b.c_str()));
  // A finished run is not redone; a different config in the same directory is refused.
  EXPECT_EQ(train(c, t.path() / "run", o).status, "already-finished");
  EXPECT_THROW(train(trainer_config({"optimizer.parameters.lr=0.2"}), t.path() / "run", o), ConfigError);
}

TEST(Trainer, LearnsTheSyntheticTask) {
  TempDir t;
  Config c = trainer_config({"schedule.parameters.epochs=6", "optimizer.parameters.lr=0.05",
                           "data.parameters.train_size=256"});
  TrainOptions o;
  o.progress = false;
  TrainResult r = train(c, t.path() / "run", o);
  ASSERT_EQ(r.status, "finished");
  EXPECT_GT(r.test_accuracy, 0.6);  // chance is 0.25
}

// Train-split loss rows of metrics.csv, in order.
std::vector<double> train_losses(const fs::path& run_dir) {
  std::istringstream in(read_file(run_dir / "metrics.csv"));
  std::string line;
  std::vector<double> out;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    if (f.size() > 3 && f[2] == "train") out.push_back(std::stod(f[3]));
  }
  return out;
}

TEST(Trainer, SimclrLearnsRecordsTheHeadAndResumesExactly) {
  TempDir t;
  TrainOptions o;
  o.progress = false;
  for (const char* rule : {"sgdm", "fa"}) {
    Config c = trainer_config({"task.type=simclr", std::string("rule.type=") + rule, "data.parameters.channels=3",
                             "data.parameters.normalize=false", "observables.parameters.points=3",
                             "observables.parameters.probe_size=16"});
    fs::path full = t.path() / (std::string(rule) + "_full"), cut = t.path() / (std::string(rule) + "_cut");
    ASSERT_EQ(train(c, full, o).status, "finished");
    const std::string stream = read_file(full / "observables" / "full.csv");
    EXPECT_NE(stream.find(",head_contrastive/nl_0,deep,"), std::string::npos);
    EXPECT_NE(stream.find(",head_contrastive/nl_1,deep,"), std::string::npos);
    EXPECT_EQ(stream.find(",fc4,"), std::string::npos);  // no classifier under SimCLR
    TrainOptions stop = o;
    stop.stop_at_step = 3;
    ASSERT_EQ(train(c, cut, stop).status, "interrupted");
    ASSERT_EQ(train(c, cut, o).status, "finished");
    EXPECT_EQ(metrics_without_time(full), metrics_without_time(cut)) << rule;
    // Streams name their run in the first column: compare the rest.
    auto body = [](std::string text, const std::string& run) {
      for (std::size_t at; (at = text.find("\n" + run + ",")) != std::string::npos;) text.erase(at + 1, run.size());
      return text;
    };
    EXPECT_EQ(body(stream, full.filename().string()),
              body(read_file(cut / "observables" / "full.csv"), cut.filename().string())) << rule;
  }
  // Longer: the contrastive loss goes down (NT-Xent at chance is 2 log(2n - 1) = 6.9 for n = 16).
  Config c = trainer_config({"task.type=simclr", "schedule.parameters.epochs=8", "data.parameters.train_size=256",
                           "optimizer.parameters.lr=0.05", "observables.type=none"});
  ASSERT_EQ(train(c, t.path() / "learn", o).status, "finished");
  std::vector<double> losses = train_losses(t.path() / "learn");
  ASSERT_GE(losses.size(), 4u);
  EXPECT_LT(losses.back(), losses.front() - 0.3) << losses.front() << " -> " << losses.back();
}

TEST(Trainer, DivergenceIsRecordedNotDropped) {
  TempDir t;
  Config c = trainer_config({"optimizer.parameters.lr=1e30", "model.type=knetlrn"});
  TrainOptions o;
  o.progress = false;
  TrainResult r = train(c, t.path() / "run", o);
  EXPECT_EQ(r.status, "diverged");
  EXPECT_EQ(status_name(t.path() / "run"), "diverged");
  EXPECT_NE(read_file(t.path() / "run" / "status.json").find("non-finite"), std::string::npos);
}

// Caught at the step it happens, in one line naming the rule, the first layer
// that went non-finite, and the setting to change.
TEST(Trainer, DivergenceNamesTheRuleTheLayerAndTheSetting) {
  TempDir t;
  Config c = trainer_config({"optimizer.parameters.lr=1e30", "model.type=knetlrn", "rule.type=fa",
                             "run.parameters.log_every=1000"});
  TrainOptions o;
  o.progress = false;
  TrainResult r = train(c, t.path() / "run", o);
  ASSERT_EQ(r.status, "diverged");
  EXPECT_LE(r.steps, 3) << r.reason;  // not at the next metrics row (step 1000)
  EXPECT_NE(r.reason.find("rule fa: layer "), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("'s W went non-finite first; lower optimizer.parameters.lr (now 1e+30)"), std::string::npos)
      << r.reason;
  EXPECT_EQ(r.reason.find('\n'), std::string::npos);
}

TEST(Trainer, CudaRunCheckpointLoadsOnCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine";
  TempDir t;
  Config c = trainer_config({"run.parameters.device=cuda"});
  TrainOptions o;
  o.progress = false;
  TrainResult r = train(c, t.path() / "run", o);
  ASSERT_EQ(r.status, "finished");
  EXPECT_EQ(r.device.rfind("cuda", 0), 0u);
  auto state = final_state(t.path() / "run", c);  // loads into a CPU model
  for (const auto& [k, v] : state) EXPECT_TRUE(v.device().is_cpu()) << k;
  // Resuming the finished CUDA run's checkpoint on CPU continues without error.
  Config cpu = trainer_config({"run.parameters.device=cpu", "schedule.parameters.epochs=3"});
  fs::create_directories(t.path() / "cpu" / "checkpoints");
  fs::copy(list_checkpoints(t.path() / "run").back().second, t.path() / "cpu" / "checkpoints");
  EXPECT_EQ(train(cpu, t.path() / "cpu", o).status, "finished");
}

TEST(Trainer, BadDataLeavesNoRunDirectory) {
  TempDir t;
  Config c = load_config(std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/good.yaml",
                         {"data.type=cifar10", "data.parameters={root: /nonexistent/cifar}"});
  EXPECT_THROW(train(c, t.path() / "run", {}), DataError);
  EXPECT_FALSE(fs::exists(t.path() / "run"));
}

}  // namespace
}  // namespace lrid

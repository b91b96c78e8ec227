// Typed options of a configuration (training/training_options.h): every
// section of a config file (with command-line overrides) parsed into its
// options, observables none as no recorder, and B's optimizer under a rule
// that trains B: W's settings for "same" or W's own type, another type at its
// defaults, never weight-decayed.
#include "training/training_options.h"

#include <gtest/gtest.h>

#include "core/files.h"
#include "test_util.h"

namespace lrid {
namespace {

// A configuration that sets a non-default value in every section.
const char* kEverySectionYaml = R"(data:
  type: synthetic
  parameters: {num_classes: 5, channels: 3, image_size: 12, train_size: 40, test_size: 20, input_size: 12,
               noise: 0.2, seed: 3, crop_padding: 2, hflip: true, mean: [0.5], std: [0.25, 0.5, 0.75],
               train_limit: 30}
model:
  type: knetc4
  parameters: {bn_momentum: 0.05}
task:
  type: simclr
  parameters: {temperature: 0.5, projection_dim: 16, blur_prob: 0.25}
rule:
  type: information
  parameters: {alpha: 0.01, feedback_optimizer: adam, feedback_lr: 0.001, metrics_every: 4}
optimizer:
  type: sgd
  parameters: {lr: 0.05, momentum: 0.8, nesterov: true, weight_decay: 0.001}
schedule:
  type: step
  parameters: {epochs: 4, milestones: [0.5], gamma: 0.5, warmup_epochs: 1}
run:
  parameters: {batch_size: 8, eval_batch_size: 10, model_seed: 2, data_seed: 3, device: cpu, threads: 1,
               eval_every: 0.5, checkpoint_every: 2, keep_checkpoints: 3, log_every: 5, name: demo}
observables:
  type: recorder
  parameters: {points: 5, probe_size: 16, subsample_fractions: [1.0, 0.5]}
)";

TrainingOptions options_of(const test::TempDir& dir, const std::vector<std::string>& overrides) {
  const auto path = dir.path() / "every.yaml";
  write_file_atomic(path, kEverySectionYaml);
  return training_options(load_config(path.string(), overrides));
}

TEST(TrainingOptions, DataModelTaskAndRuleSections) {
  test::TempDir dir;
  const TrainingOptions o = options_of(dir, {"data.parameters.test_limit=7", "model.parameters.bn_eps=0.01"});
  EXPECT_EQ(o.data.type, "synthetic");
  EXPECT_EQ(o.data.input_size, 12);
  EXPECT_EQ(o.data.crop_padding, 2);
  EXPECT_TRUE(o.data.hflip);
  EXPECT_EQ(o.data.mean, std::vector<double>{0.5});
  EXPECT_EQ(o.data.std, (std::vector<double>{0.25, 0.5, 0.75}));
  EXPECT_EQ(o.data.train_limit, 30);
  EXPECT_EQ(o.data.test_limit, 7);
  const SyntheticOptions& syn = o.data.synthetic;
  // num_classes, channels, image_size, train_size, test_size, seed; noise
  EXPECT_EQ((std::vector<int64_t>{syn.num_classes, syn.channels, syn.image_size, syn.train_size, syn.test_size,
                                  syn.seed}),
            (std::vector<int64_t>{5, 3, 12, 40, 20, 3}));
  EXPECT_EQ(syn.noise, 0.2);
  EXPECT_EQ(o.model.architecture, "knetc4");
  EXPECT_EQ(o.model.bn_momentum, 0.05);
  EXPECT_EQ(o.model.bn_eps, 0.01);
  EXPECT_EQ(o.task.type, "simclr");
  EXPECT_EQ(o.task.temperature, 0.5);
  EXPECT_EQ(o.task.projection_dim, 16);
  EXPECT_TRUE(o.task.views.enabled);
  EXPECT_EQ(o.task.views.blur_prob, 0.25);
  EXPECT_EQ(o.rule_type, "ia");  // the alias resolved
  EXPECT_TRUE(o.rule.layer.trainable_feedback);
  EXPECT_EQ(o.rule.layer.regularizer.amp, 0.01);  // ia's alpha weighs amp
  EXPECT_EQ(o.rule.feedback.optimizer, "adam");
  EXPECT_EQ(o.rule.feedback.lr, 0.001);
  EXPECT_EQ(o.rule.metrics_every, 4);
}

TEST(TrainingOptions, OptimizerScheduleRunAndObservablesSections) {
  test::TempDir dir;
  const TrainingOptions o = options_of(dir, {"optimizer.parameters.lr=0.02", "schedule.parameters.epochs=6",
                                             "run.parameters.name=override", "observables.parameters.obs_seed=9"});
  EXPECT_EQ(o.optimizer.type, "sgd");
  EXPECT_EQ(o.optimizer.lr, 0.02);
  EXPECT_EQ(o.optimizer.momentum, 0.8);
  EXPECT_TRUE(o.optimizer.nesterov);
  EXPECT_EQ(o.optimizer.weight_decay, 0.001);
  EXPECT_EQ(o.schedule.type, "step");
  EXPECT_EQ(o.schedule.epochs, 6);
  EXPECT_EQ(o.schedule.milestones, std::vector<double>{0.5});
  EXPECT_EQ(o.schedule.gamma, 0.5);
  EXPECT_EQ(o.schedule.warmup_epochs, 1);
  const RunOptions& run = o.run;
  // batch_size, eval_batch_size, model_seed, data_seed, threads, keep_checkpoints, log_every
  EXPECT_EQ((std::vector<int64_t>{run.batch_size, run.eval_batch_size, run.model_seed, run.data_seed, run.threads,
                                  run.keep_checkpoints, run.log_every}),
            (std::vector<int64_t>{8, 10, 2, 3, 1, 3, 5}));
  EXPECT_EQ((std::vector<double>{run.eval_every, run.checkpoint_every}), (std::vector<double>{0.5, 2}));
  EXPECT_EQ((std::vector<std::string>{run.device, run.name}), (std::vector<std::string>{"cpu", "override"}));
  ASSERT_TRUE(o.observables.has_value());
  EXPECT_EQ(o.observables->points, 5);
  EXPECT_EQ(o.observables->probe_size, 16);
  ASSERT_EQ(o.observables->conditions.size(), 2u);
  EXPECT_EQ(o.observables->conditions[1].name(), "frac0.5_seed9");
  EXPECT_FALSE(options_of(dir, {"observables.type=none", "observables.parameters={}"}).observables.has_value());
}

TEST(TrainingOptions, FeedbackOptimizerIsSameOrAnotherTypeAtDefaultsWithoutWeightDecay) {
  test::TempDir dir;
  // adam under W's sgd: Adam at its defaults.
  OptimizerOptions b = feedback_optimizer_options(options_of(dir, {}));
  EXPECT_EQ(b.type, "adam");
  EXPECT_EQ(b.lr, 1e-3);
  EXPECT_EQ(b.beta1, 0.9);
  EXPECT_EQ(b.beta2, 0.999);
  EXPECT_EQ(b.eps, 1e-8);
  EXPECT_EQ(b.weight_decay, 0.0);
  // same: W's type and settings, but no weight decay.
  b = feedback_optimizer_options(options_of(dir, {"rule.parameters.feedback_optimizer=same"}));
  EXPECT_EQ(b.type, "sgd");
  EXPECT_EQ(b.lr, 0.05);
  EXPECT_EQ(b.momentum, 0.8);
  EXPECT_TRUE(b.nesterov);
  EXPECT_EQ(b.weight_decay, 0.0);
  // W's own type named explicitly: the same as "same".
  b = feedback_optimizer_options(options_of(dir, {"rule.parameters.feedback_optimizer=sgd"}));
  EXPECT_EQ(b.momentum, 0.8);
  EXPECT_EQ(b.weight_decay, 0.0);
  // sgd under W's adam: SGD at its defaults.
  b = feedback_optimizer_options(options_of(
      dir, {"rule.parameters.feedback_optimizer=sgd", "optimizer.type=adam", "optimizer.parameters={lr: 0.01}"}));
  EXPECT_EQ(b.type, "sgd");
  EXPECT_EQ(b.lr, 0.1);
  EXPECT_EQ(b.momentum, 0.9);
  EXPECT_FALSE(b.nesterov);
  EXPECT_EQ(b.weight_decay, 0.0);
}

}  // namespace
}  // namespace lrid

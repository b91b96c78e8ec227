// A run configuration as typed options: every section of a Config parsed once
// (each by the parser next to its schema), then passed down to the training
// session, which reads no Params.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "models/model.h"
#include "observables/recorder.h"
#include "rules/rule.h"
#include "training/config.h"
#include "training/data_registry.h"
#include "training/lr_schedule.h"
#include "training/optimizer.h"
#include "training/task.h"

namespace lrid {

// The `run` section.
struct RunOptions {
  int64_t batch_size = 128, eval_batch_size = 500;
  int64_t model_seed = 0, data_seed = 0;  // as resolved (drawn seeds written in)
  std::string device = "auto";            // auto | cpu | cuda
  int64_t threads = 0;                    // intra-op CPU threads; 0: all cores
  double eval_every = 1.0, checkpoint_every = 1.0;  // epochs; 0: at the end only
  int64_t keep_checkpoints = 2, log_every = 50;
  std::string name;
};
RunOptions run_options(const Params& params);

struct TrainingOptions {
  DataOptions data;
  ModelOptions model;  // the architecture's fields; the data's and the rule's are set by the session
  TaskOptions task;
  std::string rule_type;  // canonical rule name
  RuleOptions rule;
  OptimizerOptions optimizer;  // W's
  ScheduleOptions schedule;
  RunOptions run;
  std::optional<RecorderOptions> observables;  // nullopt: observables.type none
};

TrainingOptions training_options(const Config& config);

// B's optimizer under a rule that trains B (learning-rules.md §4.2): W's type
// and settings ("same") or another type at its defaults, never weight-decayed.
OptimizerOptions feedback_optimizer_options(const TrainingOptions& options);

}  // namespace lrid

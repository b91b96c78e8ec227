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
#include "training/run_options.h"
#include "training/task.h"

namespace lrid {

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

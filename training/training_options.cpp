// Typed options of a configuration. See training_options.h.
#include "training/training_options.h"

#include "models/registry.h"

namespace lrid {

TrainingOptions training_options(const Config& c) {
  TrainingOptions o;
  o.data = data_options(c.data.type, c.data.params);
  o.model = model_options(c.model.type, c.model.params);
  o.task = task_options(c.task.type, c.task.params);
  o.rule_type = c.rule.type;
  o.rule = rule_options(c.rule.type, c.rule.params);
  o.optimizer = optimizer_options(c.optimizer.type, c.optimizer.params);
  o.schedule = schedule_options(c.schedule.type, c.schedule.params);
  o.run = run_options(c.run.params);
  if (c.observables.type == "recorder") o.observables = recorder_options(c.observables.params, "observables.parameters");
  return o;
}

OptimizerOptions feedback_optimizer_options(const TrainingOptions& o) {
  const std::string& type = o.rule.feedback.optimizer;
  OptimizerOptions b = type == "same" || type == o.optimizer.type
                           ? o.optimizer
                           : optimizer_options(type, parse_params(optimizer_registry().schema(type), YAML::Node(),
                                                                  ConfigSource{}, "rule.parameters.feedback_optimizer"));
  // No weight decay of B's own (§4.2); KP's decay term, when B's loss is decay alone, is
  // applied here instead of through the loss (rules/rule.h: feedback_decay_by_optimizer).
  b.weight_decay = feedback_weight_decay(o.rule);
  return b;
}

}  // namespace lrid

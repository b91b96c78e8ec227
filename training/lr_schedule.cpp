// Learning-rate schedules. See lr_schedule.h.
#include "training/lr_schedule.h"

#include <cmath>

#include "core/errors.h"

namespace lrid {

LrSchedule::LrSchedule(double base_lr, int64_t total_steps, int64_t warmup_steps,
                       std::vector<int64_t> milestone_steps, double gamma)
    : base_(base_lr), gamma_(gamma), total_steps_(total_steps), warmup_(warmup_steps),
      milestones_(std::move(milestone_steps)) {}

double LrSchedule::at(int64_t step) const {
  double lr = base_;
  // Warm-up: rates base*(1/w), base*(2/w), ..., reaching base at step w-1.
  if (step < warmup_) lr = base_ * static_cast<double>(step + 1) / static_cast<double>(warmup_);
  for (int64_t m : milestones_)
    if (step >= m) lr *= gamma_;
  return lr;
}

int64_t schedule_total_steps(const ScheduleOptions& o, int64_t steps_per_epoch) {
  int64_t total = static_cast<int64_t>(std::llround(o.epochs * static_cast<double>(steps_per_epoch)));
  total = std::max<int64_t>(total, 1);
  return o.max_steps > 0 ? std::min(total, o.max_steps) : total;
}

namespace {

LrSchedule make_step(const ScheduleOptions& o, double base_lr, int64_t steps_per_epoch) {
  const int64_t total = schedule_total_steps(o, steps_per_epoch);
  const auto warmup = static_cast<int64_t>(std::llround(o.warmup_epochs * static_cast<double>(steps_per_epoch)));
  std::vector<int64_t> ms;
  for (double f : o.milestones) ms.push_back(static_cast<int64_t>(std::llround(f * static_cast<double>(total))));
  return LrSchedule(base_lr, total, warmup, ms, o.gamma);
}

LrSchedule make_constant(const ScheduleOptions& o, double base_lr, int64_t steps_per_epoch) {
  return LrSchedule(base_lr, schedule_total_steps(o, steps_per_epoch), 0, {}, 1.0);
}

void add_epochs(OptionsBinding<ScheduleOptions>& b) {
  b.add("epochs", &ScheduleOptions::epochs).above(0).describe("length of training in epochs (may be fractional)");
}
void add_max_steps(OptionsBinding<ScheduleOptions>& b) {
  b.add("max_steps", &ScheduleOptions::max_steps).at_least(0).describe("cap on optimizer steps; 0: none");
}

OptionsBinding<ScheduleOptions> step_options() {
  OptionsBinding<ScheduleOptions> b;
  add_epochs(b);
  b.add("warmup_epochs", &ScheduleOptions::warmup_epochs).at_least(0);
  b.add("milestones", &ScheduleOptions::milestones).above(0).below(1)
      .describe("fractions of training at which the rate is multiplied by gamma");
  b.add("gamma", &ScheduleOptions::gamma).above(0).at_most(1);
  add_max_steps(b);
  return b;
}

OptionsBinding<ScheduleOptions> constant_options() {
  ScheduleOptions p;
  p.milestones.clear();
  p.gamma = 1.0;
  OptionsBinding<ScheduleOptions> b(p);
  add_epochs(b);
  add_max_steps(b);
  return b;
}

Registry<ScheduleSpec> make_schedule_registry() {
  Registry<ScheduleSpec> reg("schedule");
  reg.add_typed("step", "linear warm-up, then step decay at fractions of training",
                ScheduleSpec{step_options(), make_step});
  reg.add_typed("constant", "a constant learning rate", ScheduleSpec{constant_options(), make_constant});
  return reg;
}

}  // namespace

const Registry<ScheduleSpec>& schedule_registry() { return built_once<ScheduleSpec, make_schedule_registry>(); }

LrSchedule make_schedule(const ScheduleOptions& options, double base_lr, int64_t steps_per_epoch) {
  return schedule_registry().at(options.type).factory.make(options, base_lr, steps_per_epoch);
}

}  // namespace lrid

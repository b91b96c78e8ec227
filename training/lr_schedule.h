// Learning-rate schedules over optimizer steps (learning-rules.md §11):
// `step`: linear warm-up over warmup_epochs, then x gamma at each milestone
// (fractions of the whole training); `constant`: the base rate throughout.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/options_binding.h"
#include "core/registry.h"

namespace lrid {

class LrSchedule {
 public:
  LrSchedule() = default;
  LrSchedule(double base_lr, int64_t total_steps, int64_t warmup_steps,
             std::vector<int64_t> milestone_steps, double gamma);
  // Rate for the update made at `step` (0-based).
  double at(int64_t step) const;
  int64_t total_steps() const { return total_steps_; }

 private:
  double base_ = 0.1, gamma_ = 0.1;
  int64_t total_steps_ = 0, warmup_ = 0;
  std::vector<int64_t> milestones_;
};

// A configured schedule (the `schedule` section).
struct ScheduleOptions {
  std::string type = "step";               // a name of schedule_registry()
  double epochs = 100;                     // length of training (may be fractional)
  double warmup_epochs = 0;                // step: linear warm-up
  std::vector<double> milestones{0.3, 0.6, 0.8};  // step: fractions of training where lr *= gamma
  double gamma = 0.1;
  int64_t max_steps = 0;                   // cap on optimizer steps; 0: none
};

// The length of training in steps: epochs * steps_per_epoch (rounded, at least 1), capped by max_steps > 0.
int64_t schedule_total_steps(const ScheduleOptions& options, int64_t steps_per_epoch);

struct ScheduleSpec {
  OptionsBinding<ScheduleOptions> options;  // the type's parameters and defaults
  std::function<LrSchedule(const ScheduleOptions& options, double base_lr, int64_t steps_per_epoch)> make;
};
const Registry<ScheduleSpec>& schedule_registry();

// The section's validated parameters as ScheduleOptions (the only place they are read).
inline ScheduleOptions schedule_options(const std::string& type, const Params& params) {
  return parse_typed<ScheduleOptions>(schedule_registry(), type, params);
}
LrSchedule make_schedule(const ScheduleOptions& options, double base_lr, int64_t steps_per_epoch);

}  // namespace lrid

// Learning-rate schedules over optimizer steps (learning-rules.md §11):
// `step`: linear warm-up over warmup_epochs, then x gamma at each milestone
// (fractions of the whole training); `constant`: the base rate throughout.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

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

// The length of training in steps: epochs * steps_per_epoch (rounded), capped by max_steps > 0.
int64_t schedule_total_steps(const Params& schedule_params, int64_t steps_per_epoch);

using ScheduleFactory = std::function<LrSchedule(const Params& params, double base_lr,
                                                 int64_t steps_per_epoch)>;
const Registry<ScheduleFactory>& schedule_registry();

LrSchedule make_schedule(const std::string& type, const Params& params, double base_lr,
                         int64_t steps_per_epoch);

}  // namespace lrid

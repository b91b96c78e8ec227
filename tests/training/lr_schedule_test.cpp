// Learning-rate schedules: warm-up, milestones, step counts.
#include "training/lr_schedule.h"

#include <gtest/gtest.h>

#include "training/config.h"

namespace lrid {
namespace {

ScheduleOptions schedule_params(const std::string& type, const std::string& yaml) {
  return schedule_options(type, parse_params(schedule_registry().schema(type), YAML::Load(yaml),
                                             ConfigSource{"test", {}}, "schedule.parameters"));
}

TEST(LrSchedule, WarmupThenStepDecay) {
  // 10 epochs x 10 steps; warm-up 1 epoch; milestones at 30% and 60%.
  LrSchedule s = make_schedule(schedule_params("step", "{epochs: 10, warmup_epochs: 1, milestones: [0.3, 0.6], gamma: 0.1}"), 0.1, 10);
  EXPECT_EQ(s.total_steps(), 100);
  EXPECT_DOUBLE_EQ(s.at(0), 0.01);
  EXPECT_DOUBLE_EQ(s.at(4), 0.05);
  EXPECT_DOUBLE_EQ(s.at(9), 0.1);
  EXPECT_DOUBLE_EQ(s.at(29), 0.1);
  EXPECT_NEAR(s.at(30), 0.01, 1e-15);
  EXPECT_NEAR(s.at(59), 0.01, 1e-15);
  EXPECT_NEAR(s.at(60), 0.001, 1e-15);
  EXPECT_NEAR(s.at(99), 0.001, 1e-15);
}

TEST(LrSchedule, ConstantAndMaxSteps) {
  LrSchedule s = make_schedule(schedule_params("constant", "{epochs: 3, max_steps: 7}"), 0.2, 10);
  EXPECT_EQ(s.total_steps(), 7);
  EXPECT_DOUBLE_EQ(s.at(0), 0.2);
  EXPECT_DOUBLE_EQ(s.at(6), 0.2);
}

TEST(LrSchedule, FractionalEpochs) {
  LrSchedule s = make_schedule(schedule_params("step", "{epochs: 0.5}"), 0.1, 11);
  EXPECT_EQ(s.total_steps(), 6);  // round(5.5) = 6
}

}  // namespace
}  // namespace lrid

// The verdict rules on numbers where each claim holds, fails in part, or fails.
#include "experiments/verdicts.h"

#include <gtest/gtest.h>

#include <cmath>

namespace lrid::verdicts {
namespace {

TEST(Verdicts, ShareCountsParts) {
  EXPECT_EQ(share_verdict(2, 2), "agrees");
  EXPECT_EQ(share_verdict(1, 2), "partly");
  EXPECT_EQ(share_verdict(0, 2), "disagrees");
  EXPECT_EQ(share_verdict(0, 0), "disagrees");  // nothing measured agrees with nothing
}

TEST(Verdicts, WellAboveChanceNeedsBothTheMarginAndTheErrorBars) {
  EXPECT_TRUE(well_above_chance(0.45, 0.02, 0.25));
  EXPECT_FALSE(well_above_chance(0.35, 0.001, 0.25));  // significant but not well above (0.10 < 0.15)
  EXPECT_FALSE(well_above_chance(0.45, 0.11, 0.25));   // well above on average but within 2 s.e.m.
  EXPECT_TRUE(well_above_chance(0.45, NAN, 0.25));     // one split: no s.e.m.
}

// "Agrees at about 0.6" was the old rule's failure: 0.6 against 0.95 in distribution does not generalise.
TEST(Verdicts, GeneralisingKeepsMostOfTheInDistributionMargin) {
  EXPECT_TRUE(generalises(0.85, 0.02, 0.95, 0.25));    // keeps 0.60 of 0.70 (> 0.75 x 0.70 = 0.525)
  EXPECT_FALSE(generalises(0.60, 0.02, 0.95, 0.25));   // keeps 0.35 of 0.70
  EXPECT_FALSE(generalises(0.80, 0.30, 0.85, 0.25));   // within 2 s.e.m. of chance
  EXPECT_FALSE(generalises(0.30, 0.01, 0.26, 0.25));   // nothing to keep in distribution
}

TEST(Verdicts, KeptShare) {
  EXPECT_DOUBLE_EQ(kept_share(0.45, 0.9), 0.5);
  EXPECT_TRUE(std::isnan(kept_share(0.4, 0.0)));
  EXPECT_TRUE(std::isnan(kept_share(NAN, 0.5)));
}

}  // namespace
}  // namespace lrid::verdicts

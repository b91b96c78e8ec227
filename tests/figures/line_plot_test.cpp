// Line plots: a band where lo and hi are given, lines and markers for finite
// points, powers of ten on a log axis, explicit ticks, dashed lines.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "figures/figure_test_util.h"
#include "figures/svg.h"

namespace lrid::svg {
namespace {

using test::count_of;

TEST(LinePlot, BandsMarkersAndALogAxis) {
  LinePlot p;
  p.log_x = true;
  p.lines = {{"no noise", {0.001, 0.01, 0.1, 1}, {0.5, 0.6, 0.7, 0.8}, {0.45, 0.55, 0.65, 0.75}, {0.55, 0.65, 0.75, 0.85}},
             {"σ = 1", {0.001, 0.01, 0.1, 1}, {0.5, 0.52, NAN, 0.6}, {}, {}, true}};
  const std::string s = line_plot(p);
  EXPECT_EQ(count_of(s, "class=\"band\""), 1);
  EXPECT_EQ(count_of(s, "class=\"line\""), 2);
  EXPECT_EQ(count_of(s, "class=\"marker\""), 7);
  EXPECT_EQ(count_of(s, "stroke-dasharray=\"6,3\""), 1);
  EXPECT_NE(s.find(">1e-3<"), std::string::npos);  // powers of ten on the log axis
  EXPECT_NE(s.find(">1e0<"), std::string::npos);
  EXPECT_NE(s.find("σ = 1"), std::string::npos);
  EXPECT_EQ(s.find("nan"), std::string::npos);
}

TEST(LinePlot, ExplicitTicksAndNonPositiveXOnALogAxis) {
  LinePlot p;
  p.lines = {{"a", {1, 2, 3}, {10, 20, 15}, {}, {}}};
  p.x_ticks = {{1, "one"}, {3, "three"}, {99, "far"}};
  std::string s = line_plot(p);
  EXPECT_NE(s.find(">one</text>"), std::string::npos);
  EXPECT_NE(s.find(">three</text>"), std::string::npos);
  EXPECT_EQ(s.find(">far</text>"), std::string::npos);  // outside the plot
  p.log_x = true;
  p.x_ticks.clear();
  p.lines[0].x = {0, 1, 10};  // x = 0 cannot be drawn on a log axis
  s = line_plot(p);
  EXPECT_EQ(count_of(s, "class=\"marker\""), 2);
}

TEST(LinePlot, AnEmptyPlotIsStillAFigure) {
  const std::string s = line_plot(LinePlot{});
  EXPECT_EQ(count_of(s, "class=\"line\""), 0);
  EXPECT_EQ(count_of(s, "class=\"axis\""), 2);
  EXPECT_EQ(s.substr(s.size() - 7), "</svg>\n");
}

}  // namespace
}  // namespace lrid::svg

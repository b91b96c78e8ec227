// Ticks, ranges, legends, the y axis and reference lines.
#include "figures/svg_primitives.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "figures/figure_test_util.h"

namespace lrid::svg {
namespace {

using test::count_of;

TEST(Axes, NiceTicksCoverTheRangeInRoundSteps) {
  const std::vector<double> want = {0, 0.2, 0.4, 0.6, 0.8, 1};
  const auto got = nice_ticks(0, 1, 5);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12);
  auto t = nice_ticks(0.13, 0.87, 4);
  ASSERT_GE(t.size(), 3u);
  EXPECT_NEAR(t[1] - t[0], 0.2, 1e-12);
  EXPECT_GE(t.front(), 0.13);
  EXPECT_LE(t.back(), 0.87 + 1e-12);
  EXPECT_NEAR(nice_ticks(0, 10, 4)[1], 2.5, 1e-12);
  EXPECT_EQ(nice_ticks(1, 1).size(), 1u);  // a degenerate range: its one value
  EXPECT_EQ(nice_ticks(NAN, 1).size(), 1u);
}

TEST(Axes, PaddedRanges) {
  Range r = pad_range(0, 10, 0.1);
  EXPECT_DOUBLE_EQ(r.lo, -1);
  EXPECT_DOUBLE_EQ(r.hi, 11);
  r = pad_range(5, 5);  // widened by 10% of the value
  EXPECT_DOUBLE_EQ(r.lo, 4.5);
  EXPECT_DOUBLE_EQ(r.hi, 5.5);
  r = pad_range(INFINITY, -INFINITY);  // no data
  EXPECT_DOUBLE_EQ(r.lo, 0);
  EXPECT_DOUBLE_EQ(r.hi, 1);
}

TEST(Axes, LegendsAxisAndReferences) {
  const std::string bars = legend(0, 0, {"RF", "SVM"}, false);
  EXPECT_EQ(count_of(bars, "<rect class=\"legend\""), 2);
  const std::string lines = legend(0, 0, {"a", "b"}, true, {false, true});
  EXPECT_EQ(count_of(lines, "<line class=\"legend\""), 2);
  EXPECT_EQ(count_of(lines, "stroke-dasharray"), 1);
  EXPECT_DOUBLE_EQ(legend_width({}), 0);
  EXPECT_DOUBLE_EQ(legend_width({"ab", "abcd"}), text_width("abcd", 12) + 40);
  auto ymap = [](double v) { return 100 - v * 100; };
  const std::string axis = y_axis({0, 0.5, 1}, 10, 90, ymap, "accuracy", 0, 100);
  EXPECT_EQ(count_of(axis, "class=\"grid\""), 3);
  EXPECT_NE(axis.find(">0.5</text>"), std::string::npos);
  EXPECT_NE(axis.find("rotate(-90 16 50.00)"), std::string::npos);
  const std::string refs = reference_lines({{0.25, "chance"}, {2.0, "outside"}, {NAN, "none"}}, 10, 90, ymap, 0, 1);
  EXPECT_EQ(count_of(refs, "class=\"reference\""), 1);
  EXPECT_NE(refs.find(">chance</text>"), std::string::npos);
  EXPECT_EQ(refs.find("outside"), std::string::npos);
}

}  // namespace
}  // namespace lrid::svg

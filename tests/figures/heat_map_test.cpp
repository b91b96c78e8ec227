// Heat maps: a cell per (row, column), values on finite cells, the colour
// scale from v_min to v_max (or the largest value), rotated column labels.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "figures/figure_test_util.h"
#include "figures/svg.h"

namespace lrid::svg {
namespace {

using test::count_of;

HeatMap confusion() {
  HeatMap h;
  h.rows = {"adam", "sgdm"};
  h.cols = {"adam", "sgdm", "ia"};
  h.values = {{0.9, 0.1, 0.0}, {0.2, NAN, 0.8}};
  h.v_max = 1.0;
  return h;
}

TEST(HeatMap, CellsValuesAndColourScale) {
  const std::string s = heat_map(confusion());
  EXPECT_EQ(count_of(s, "class=\"cell\""), 6);
  EXPECT_EQ(count_of(s, "class=\"value\""), 5);  // no text for the NaN cell
  EXPECT_NE(s.find(">0.90<"), std::string::npos);
  EXPECT_NE(s.find(">0.80<"), std::string::npos);
  EXPECT_NE(s.find("fill=\"#ffffff\""), std::string::npos);  // zero is white
  EXPECT_NE(s.find("fill=\"#f4f4f4\""), std::string::npos);  // NaN is grey
  EXPECT_EQ(count_of(s, "class=\"colourbar\""), 20);
  EXPECT_EQ(s.find("nan"), std::string::npos);
}

TEST(HeatMap, ScaleFromTheDataAndHiddenValues) {
  HeatMap h = confusion();
  h.v_max = NAN;  // the largest value, 0.9, is the darkest
  h.show_values = false;
  const std::string s = heat_map(h);
  EXPECT_EQ(count_of(s, "class=\"value\""), 0);
  EXPECT_NE(s.find("fill=\"#08306b\""), std::string::npos);
  EXPECT_NE(s.find(">0.9</text>"), std::string::npos);  // the colour bar's top label
}

TEST(HeatMap, LongColumnLabelsRotate) {
  HeatMap h = confusion();
  EXPECT_EQ(count_of(heat_map(h), "rotate(-50"), 0);
  h.cols = {"a long column name", "b", "c"};
  EXPECT_EQ(count_of(heat_map(h), "rotate(-50"), 3);
}

}  // namespace
}  // namespace lrid::svg

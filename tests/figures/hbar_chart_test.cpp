// Horizontal bar charts: a bar per finite value in the given order, error
// bars, palette colours per bar, and labels for every row.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "figures/figure_test_util.h"
#include "figures/svg.h"

namespace lrid::svg {
namespace {

using test::count_of;

TEST(HBarChart, BarsInOrderWithErrorsAndColours) {
  HBarChart b;
  b.title = "importance";
  b.x_label = "Gini";
  b.labels = {"weightraw_median", "actabs_norm", "gradavgsq_id"};
  b.value = {0.3, 0.2, NAN};
  b.error = {0.01, 0.0, 0.02};
  b.colours = {0, 1, 2};
  const std::string s = hbar_chart(b);
  EXPECT_EQ(count_of(s, "class=\"bar\""), 2);       // the NaN row keeps its label only
  EXPECT_EQ(count_of(s, "class=\"errorbar\""), 1);  // a zero error draws none
  EXPECT_NE(s.find(">gradavgsq_id</text>"), std::string::npos);
  EXPECT_LT(s.find("weightraw_median: 0.3000"), s.find("actabs_norm: 0.2000"));
  EXPECT_NE(s.find(colour(1)), std::string::npos);
  EXPECT_EQ(s.find(colour(2)), std::string::npos);
  EXPECT_EQ(s.find("nan"), std::string::npos);
}

TEST(HBarChart, HeightGrowsWithTheRows) {
  HBarChart one, three;
  one.labels = {"a"};
  one.value = {1};
  three.labels = {"a", "b", "c"};
  three.value = {1, 2, 3};
  EXPECT_NE(hbar_chart(one).find("height=\"58.00\""), std::string::npos);    // 12 + 28 + 18
  EXPECT_NE(hbar_chart(three).find("height=\"94.00\""), std::string::npos);  // 12 + 28 + 3 x 18
}

}  // namespace
}  // namespace lrid::svg

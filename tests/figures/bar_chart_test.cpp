// Grouped bar charts: every finite bar with its error bar, the legend, the
// reference line, escaped titles, rotated group labels when they do not fit.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "figures/figure_test_util.h"
#include "figures/svg.h"

namespace lrid::svg {
namespace {

using test::count_of;

BarChart two_series() {
  BarChart c;
  c.title = "accuracy <by set>";
  c.groups = {"all", "weights", "acts"};
  c.series = {{"RF", {0.9, 0.8, NAN}, {0.01, 0.02, 0.0}}, {"SVM", {0.7, 0.6, 0.5}, {0.03, 0.0, 0.01}}};
  c.references = {{0.25, "chance"}};
  return c;
}

TEST(BarChart, DrawsEveryFiniteBarWithErrors) {
  const std::string s = bar_chart(two_series());
  EXPECT_EQ(s.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(count_of(s, "class=\"bar\""), 5);        // the NaN bar is skipped
  EXPECT_EQ(count_of(s, "class=\"errorbar\""), 4);   // zero errors draw none
  EXPECT_EQ(count_of(s, "class=\"reference\""), 1);
  EXPECT_EQ(count_of(s, "class=\"legend\""), 2);
  EXPECT_NE(s.find("accuracy &lt;by set&gt;"), std::string::npos);
  EXPECT_NE(s.find("<title>weights / RF: 0.8000</title>"), std::string::npos);
  EXPECT_EQ(s.find("nan"), std::string::npos);
  EXPECT_EQ(s.find("inf"), std::string::npos);
  EXPECT_EQ(s.substr(s.size() - 7), "</svg>\n");
}

TEST(BarChart, OneSeriesHasNoLegendAndLongLabelsRotate) {
  BarChart c = two_series();
  c.series.resize(1);
  EXPECT_EQ(count_of(bar_chart(c), "class=\"legend\""), 0);
  EXPECT_EQ(count_of(bar_chart(c), "rotate(-25"), 0);
  c.groups = {"a very long group label number one", "another quite long label", "the third long label"};
  const std::string s = bar_chart(c);
  EXPECT_EQ(count_of(s, "rotate(-25"), 3);
  EXPECT_EQ(s.find("height=\"380.00\""), std::string::npos);  // taller than the default, for the labels
}

TEST(BarChart, FixedTopClampsBarsAndHidesReferencesAbove) {
  BarChart c = two_series();
  c.y_max = 0.5;
  c.references = {{0.75, "above"}};
  const std::string s = bar_chart(c);
  EXPECT_EQ(count_of(s, "class=\"reference\""), 0);
  EXPECT_EQ(count_of(s, "class=\"bar\""), 5);
}

}  // namespace
}  // namespace lrid::svg

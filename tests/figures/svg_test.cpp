// SVG figures: what is drawn (bars, error bars, bands, cells and their values),
// escaping, ticks, panels, and that non-finite values are skipped, never printed.
#include "figures/svg.h"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <string>

namespace lrid::svg {
namespace {

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST(Svg, NiceTicksAndEscaping) {
  const std::vector<double> want = {0, 0.2, 0.4, 0.6, 0.8, 1};
  const auto got = nice_ticks(0, 1, 5);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12);
  auto t = nice_ticks(0.13, 0.87, 4);
  ASSERT_GE(t.size(), 3u);
  EXPECT_NEAR(t[1] - t[0], 0.2, 1e-12);
  EXPECT_GE(t.front(), 0.13);
  EXPECT_LE(t.back(), 0.87 + 1e-12);
  EXPECT_EQ(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
  EXPECT_NE(colour(0), colour(1));
  EXPECT_EQ(colour(0), colour(10));
}

TEST(Svg, BarChartDrawsEveryFiniteBarWithErrors) {
  BarChart c;
  c.title = "accuracy <by set>";
  c.groups = {"all", "weights", "acts"};
  c.series = {{"RF", {0.9, 0.8, NAN}, {0.01, 0.02, 0.0}}, {"SVM", {0.7, 0.6, 0.5}, {0.03, 0.0, 0.01}}};
  c.references = {{0.25, "chance"}};
  const std::string s = bar_chart(c);
  EXPECT_EQ(s.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(count(s, "class=\"bar\""), 5);        // the NaN bar is skipped
  EXPECT_EQ(count(s, "class=\"errorbar\""), 4);   // zero errors draw none
  EXPECT_EQ(count(s, "class=\"reference\""), 1);
  EXPECT_EQ(count(s, "class=\"legend\""), 2);
  EXPECT_NE(s.find("accuracy &lt;by set&gt;"), std::string::npos);
  EXPECT_EQ(s.find("nan"), std::string::npos);
  EXPECT_EQ(s.find("inf"), std::string::npos);
  EXPECT_EQ(s.substr(s.size() - 7), "</svg>\n");
}

TEST(Svg, HeatMapCellsValuesAndColourScale) {
  HeatMap h;
  h.rows = {"adam", "sgdm"};
  h.cols = {"adam", "sgdm", "ia"};
  h.values = {{0.9, 0.1, 0.0}, {0.2, NAN, 0.8}};
  h.v_max = 1.0;
  const std::string s = heat_map(h);
  EXPECT_EQ(count(s, "class=\"cell\""), 6);
  EXPECT_EQ(count(s, "class=\"value\""), 5);  // no text for the NaN cell
  EXPECT_NE(s.find(">0.90<"), std::string::npos);
  EXPECT_NE(s.find(">0.80<"), std::string::npos);
  // The largest value is the darkest cell; zero is white.
  EXPECT_NE(s.find("fill=\"#ffffff\""), std::string::npos);
  EXPECT_EQ(count(s, "class=\"colourbar\""), 20);
}

TEST(Svg, LinePlotBandsLogAxisAndPanels) {
  LinePlot p;
  p.log_x = true;
  p.lines = {{"no noise", {0.001, 0.01, 0.1, 1}, {0.5, 0.6, 0.7, 0.8}, {0.45, 0.55, 0.65, 0.75}, {0.55, 0.65, 0.75, 0.85}},
             {"σ = 1", {0.001, 0.01, 0.1, 1}, {0.5, 0.52, NAN, 0.6}, {}, {}}};
  const std::string s = line_plot(p);
  EXPECT_EQ(count(s, "class=\"band\""), 1);
  EXPECT_EQ(count(s, "class=\"line\""), 2);
  EXPECT_EQ(count(s, "class=\"marker\""), 7);
  EXPECT_NE(s.find(">1e-3<"), std::string::npos);  // powers of ten on the log axis
  EXPECT_NE(s.find("σ = 1"), std::string::npos);
  HBarChart b;
  b.labels = {"weightraw_median", "weightabs_norm"};
  b.value = {0.3, 0.2};
  b.error = {0.01, 0.02};
  const std::string both = panels({s, hbar_chart(b)}, 2, "two panels");
  EXPECT_EQ(count(both, "<svg "), 3);  // the outer figure and two nested panels
  EXPECT_EQ(count(both, "</svg>"), 3);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(both, m, std::regex("^<svg[^>]*width=\"([0-9.]+)\"")));
  EXPECT_GT(std::stod(m[1]), 900.0);
}

}  // namespace
}  // namespace lrid::svg

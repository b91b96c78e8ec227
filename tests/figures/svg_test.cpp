// Panels and standalone files: nested figures at their offsets under a common
// title, sizes from the panels, a figure without a size refused, and the XML
// declaration of a written file.
#include "figures/svg.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "core/errors.h"
#include "core/files.h"
#include "figures/figure_test_util.h"
#include "test_util.h"

namespace lrid::svg {
namespace {

using test::count_of;

std::string box(double w, double h) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(w) + "\" height=\"" +
         std::to_string(h) + "\" viewBox=\"0 0 1 1\">\n</svg>\n";
}

TEST(Panels, RowsOfColumnsUnderATitle) {
  const std::string both = panels({box(300, 200), box(400, 100), box(250, 250)}, 2, "three & more");
  EXPECT_EQ(count_of(both, "<svg "), 4);  // the outer figure and three nested panels
  EXPECT_EQ(count_of(both, "</svg>"), 4);
  // Row 1: x 0 and 300 below the 34 px title; row 2 below the taller of row 1 (200).
  EXPECT_NE(both.find("<svg x=\"0.00\" y=\"34.00\""), std::string::npos);
  EXPECT_NE(both.find("<svg x=\"300.00\" y=\"34.00\""), std::string::npos);
  EXPECT_NE(both.find("<svg x=\"0.00\" y=\"234.00\""), std::string::npos);
  EXPECT_NE(both.find("width=\"700.00\" height=\"484.00\""), std::string::npos);
  EXPECT_NE(both.find(">three &amp; more</text>"), std::string::npos);
}

TEST(Panels, NoTitleNoHeadAndAFigureWithoutSizeIsRefused) {
  const std::string one = panels({box(120, 80)}, 0);  // columns below 1 count as 1
  EXPECT_NE(one.find("<svg x=\"0.00\" y=\"0.00\""), std::string::npos);
  EXPECT_EQ(one.find("<text"), std::string::npos);
  test::expect_error<Error>([] { panels({"<svg></svg>"}, 1); }, "without width/height");
}

TEST(WriteSvg, AddsTheXmlDeclaration) {
  test::TempDir t;
  write_svg(t.path() / "f.svg", box(10, 10));
  const std::string s = read_file(t.path() / "f.svg");
  EXPECT_EQ(s.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 0), 0u);
}

}  // namespace
}  // namespace lrid::svg

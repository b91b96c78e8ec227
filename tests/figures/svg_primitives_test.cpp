// The drawing primitives: escaping, the palette, number formats (coordinates,
// tick labels, values; never "nan"), text width, <text>, the colour ramp.
#include "figures/svg_primitives.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace lrid::svg {
namespace {

TEST(SvgPrimitives, EscapingAndPalette) {
  EXPECT_EQ(escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
  EXPECT_NE(colour(0), colour(1));
  EXPECT_EQ(colour(0), colour(10));
  EXPECT_EQ(colour(3), "#d62728");
}

TEST(SvgPrimitives, NumberFormats) {
  EXPECT_EQ(num(1.0 / 3), "0.33");
  EXPECT_EQ(tick_label(0.2, 0.2), "0.2");
  EXPECT_EQ(tick_label(0.025, 0.025), "0.025");
  EXPECT_EQ(tick_label(3, 1), "3");
  EXPECT_EQ(tick_label(1e-17, 0.2), "0.0");  // round-off at zero prints as zero
  EXPECT_EQ(tick_label(2e5, 1e5), "2.0e+05");
  EXPECT_EQ(value_label(0.8123), "0.812");
  EXPECT_EQ(value_label(12.3456), "12.35");
  EXPECT_EQ(value_label(1234.4), "1234");
  EXPECT_EQ(value_label(0.8123, 1), "0.8");
  EXPECT_EQ(value_label(NAN), "");
  EXPECT_EQ(value_label(INFINITY, 2), "");
}

TEST(SvgPrimitives, TextWidthCountsCodePoints) {
  EXPECT_DOUBLE_EQ(text_width("abcd", 10), 4 * 5.8);
  EXPECT_DOUBLE_EQ(text_width("σσ", 10), 2 * 5.8);  // two code points, four bytes
}

TEST(SvgPrimitives, ElementsAndRamp) {
  const std::string t = text(1, 2, "a<b", 12, "start", "class=\"value\"");
  EXPECT_EQ(t.rfind("<text x=\"1.00\" y=\"2.00\" font-size=\"12.00\" text-anchor=\"start\" ", 0), 0u);
  EXPECT_NE(t.find("class=\"value\">a&lt;b</text>\n"), std::string::npos);
  EXPECT_NE(open_svg(10, 20).find("width=\"10.00\" height=\"20.00\" viewBox=\"0 0 10.00 20.00\""), std::string::npos);
  EXPECT_EQ(ramp(0), "#ffffff");
  EXPECT_EQ(ramp(1), "#08306b");
  EXPECT_EQ(ramp(2), ramp(1));  // clamped
  EXPECT_NE(title_text(5, 6, "T").find("font-weight=\"bold\""), std::string::npos);
  EXPECT_EQ(x_axis_line(Frame{100, 80, 10, 90, 5, 70}),
            "<line class=\"axis\" x1=\"10.00\" y1=\"70.00\" x2=\"90.00\" y2=\"70.00\" stroke=\"#333\"/>\n");
}

}  // namespace
}  // namespace lrid::svg

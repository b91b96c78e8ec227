// The drawing primitives the charts of figures/ share (internal to figures/):
// number and text formatting, <text> and the <svg> opening, the heat-map colour
// ramp (svg_primitives.cpp), and axes, legends and reference lines (axes.cpp).
// Every coordinate is printed with 2 decimals (num), so figures are byte-stable.
#pragma once
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "figures/svg.h"

namespace lrid::svg {

inline constexpr const char* kFont = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";

inline bool finite(double v) { return std::isfinite(v); }

// Approximate text width of `s` at `size` px (sans-serif averages ~0.58 em per code point).
double text_width(const std::string& s, double size);
// A coordinate or size: 2 decimals.
std::string num(double v);
// Tick label: as many decimals as the step needs (at most 6); exponent form outside [1e-4, 1e5).
std::string tick_label(double v, double step);
// A value printed on a figure: `decimals` when >= 0, else 0 (>= 100), 2 (>= 1) or 3 significant
// digits; "" when not finite.
std::string value_label(double v, int decimals = -1);
// <text> at (x, y), escaped, with an optional extra attribute string.
std::string text(double x, double y, const std::string& s, double size, const std::string& anchor = "middle",
                 const std::string& extra = "");
// <svg ...> of w x h with a white background rectangle.
std::string open_svg(double w, double h);
// Heat-map colour: white to dark blue, t clamped to [0, 1].
std::string ramp(double t);

// A figure's size and its plot area: x from x0 to x1, y from y0 (top) to y1 (bottom).
struct Frame {
  double w, h, x0, x1, y0, y1;
};
// The x axis: a line along the bottom of the plot area.
std::string x_axis_line(const Frame& f);
// A bold title centred at x.
std::string title_text(double x, double y, const std::string& title, double size = 14);

struct Range {
  double lo, hi;
};
// Data range padded by `pad` of its width; a degenerate range is widened; {0, 1} when not finite.
Range pad_range(double lo, double hi, double pad = 0.05);
// A legend block at (x, y): one row per entry, a swatch (bar or line, dashed where asked) and the name.
std::string legend(double x, double y, const std::vector<std::string>& names, bool lines,
                   const std::vector<bool>& dashed = {});
// Width a legend of `names` takes (0 when empty).
double legend_width(const std::vector<std::string>& names);
// Horizontal gridlines and y tick labels over [x0, x1] for ticks mapped by `ymap`, the y axis
// from `top` to `bottom` and its rotated label.
std::string y_axis(const std::vector<double>& ticks, double x0, double x1, const std::function<double(double)>& ymap,
                   const std::string& label, double top, double bottom);
// Reference lines within [y_lo, y_hi], labelled at their right end.
std::string reference_lines(const std::vector<Reference>& refs, double x0, double x1,
                            const std::function<double(double)>& ymap, double y_lo, double y_hi);

}  // namespace lrid::svg

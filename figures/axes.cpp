// Ticks, axes, legends and reference lines. See svg_primitives.h (and svg.h for nice_ticks).
#include <fmt/format.h>

#include <algorithm>

#include "figures/svg_primitives.h"

namespace lrid::svg {

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!finite(lo) || !finite(hi) || hi <= lo) return {lo};
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> t;
  const double first = std::ceil(lo / step - 1e-9);
  for (int i = 0; i < 1000; ++i) {
    const double v = (first + i) * step;
    if (v > hi + step * 1e-9) break;
    t.push_back(v);
  }
  return t;
}

Range pad_range(double lo, double hi, double pad) {
  if (!finite(lo) || !finite(hi)) return {0, 1};
  if (hi - lo < 1e-12) {
    const double d = std::max(1e-3, std::abs(hi) * 0.1);
    return {lo - d, hi + d};
  }
  const double d = (hi - lo) * pad;
  return {lo - d, hi + d};
}

std::string legend(double x, double y, const std::vector<std::string>& names, bool lines,
                   const std::vector<bool>& dashed) {
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const double yy = y + 18.0 * static_cast<double>(i);
    if (lines) {
      const bool d = i < dashed.size() && dashed[i];
      s += fmt::format("<line class=\"legend\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2.5\"{}/>\n",
                       num(x), num(yy - 4), num(x + 20), num(yy - 4), colour(i), d ? " stroke-dasharray=\"5,3\"" : "");
    } else {
      s += fmt::format("<rect class=\"legend\" x=\"{}\" y=\"{}\" width=\"14\" height=\"12\" fill=\"{}\"/>\n", num(x),
                       num(yy - 10), colour(i));
    }
    s += text(x + 26, yy, names[i], 12, "start");
  }
  return s;
}

double legend_width(const std::vector<std::string>& names) {
  double w = 0;
  for (const auto& n : names) w = std::max(w, text_width(n, 12));
  return names.empty() ? 0 : w + 40;
}

std::string y_axis(const std::vector<double>& ticks, double x0, double x1, const std::function<double(double)>& ymap,
                   const std::string& label, double top, double bottom) {
  std::string s;
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1.0;
  for (double t : ticks) {
    const double y = ymap(t);
    s += fmt::format("<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e3e3e3\"/>\n", num(x0),
                     num(y), num(x1), num(y));
    s += text(x0 - 6, y + 4, tick_label(t, step), 11, "end");
  }
  s += fmt::format("<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333\"/>\n", num(x0),
                   num(top), num(bottom));
  if (!label.empty()) {
    const double cy = (top + bottom) / 2;
    s += text(16, cy, label, 12, "middle", fmt::format("transform=\"rotate(-90 16 {})\"", num(cy)));
  }
  return s;
}

std::string reference_lines(const std::vector<Reference>& refs, double x0, double x1,
                            const std::function<double(double)>& ymap, double y_lo, double y_hi) {
  std::string s;
  for (const auto& r : refs) {
    if (!finite(r.y) || r.y < y_lo || r.y > y_hi) continue;
    const double y = ymap(r.y);
    s += fmt::format("<line class=\"reference\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#555\" stroke-width=\"1.2\"{}/>\n",
                     num(x0), num(y), num(x1), num(y), r.dashed ? " stroke-dasharray=\"6,4\"" : "");
    // Inside the plot, above the line at its right end, with a white halo over bars and lines.
    if (!r.label.empty())
      s += text(x1 - 4, y - 4, r.label, 10, "end",
                "fill=\"#333\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\"");
  }
  return s;
}

}  // namespace lrid::svg

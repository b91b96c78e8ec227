// Horizontal bar charts (ranked values with error bars). See svg.h.
#include <fmt/format.h>

#include <algorithm>

#include "figures/svg_primitives.h"

namespace lrid::svg {
namespace {

constexpr double kRow = 18;  // pixels per bar

double error_of(const HBarChart& c, std::size_t i) { return i < c.error.size() && finite(c.error[i]) ? c.error[i] : 0; }

// Vertical gridlines and x tick labels at round steps of [0, hi].
std::string hbar_grid(const Frame& f, double hi, const std::function<double(double)>& xmap) {
  std::string s;
  const std::vector<double> ticks = nice_ticks(0, hi, 4);
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1.0;
  for (double t : ticks) {
    s += fmt::format("<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#e3e3e3\"/>\n", num(xmap(t)),
                     num(f.y0), num(f.y1));
    s += text(xmap(t), f.y1 + 14, tick_label(t, step), 10);
  }
  return s;
}

// Row i: its label, and its bar, error bar and value when the value is finite.
std::string bar_row(const HBarChart& c, std::size_t i, const Frame& f, const std::function<double(double)>& xmap) {
  const double y = f.y0 + kRow * static_cast<double>(i);
  std::string s = text(f.x0 - 6, y + kRow * 0.68, c.labels[i], 11, "end");
  if (i >= c.value.size() || !finite(c.value[i])) return s;
  const double v = c.value[i];
  s += fmt::format("<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>\n",
                   num(f.x0), num(y + 3), num(xmap(v) - f.x0), num(kRow - 6),
                   colour(i < c.colours.size() ? static_cast<std::size_t>(c.colours[i]) : 0),
                   escape(fmt::format("{}: {}", c.labels[i], value_label(v, 4))));
  if (i < c.error.size() && finite(c.error[i]) && c.error[i] > 0) {
    const double cy = y + kRow / 2, xa = xmap(v - c.error[i]), xb = xmap(v + c.error[i]);
    s += fmt::format("<path class=\"errorbar\" d=\"M{0} {2} H{1} M{0} {3} V{4} M{1} {3} V{4}\" stroke=\"#222\" "
                     "stroke-width=\"1.1\" fill=\"none\"/>\n",
                     num(xa), num(xb), num(cy), num(cy - 3), num(cy + 3));
  }
  return s + text(xmap(v + error_of(c, i)) + 4, y + kRow * 0.68, value_label(v, 3), 9, "start", "fill=\"#333\"");
}

}  // namespace

std::string hbar_chart(const HBarChart& c) {
  double lw = 0;
  for (const auto& l : c.labels) lw = std::max(lw, text_width(l, 11));
  const double top = c.title.empty() ? 12 : 36, bottom = c.x_label.empty() ? 28 : 46;
  const double left = lw + 14, right = 46, w = std::max(c.width, left + 200);
  const double h = top + bottom + kRow * static_cast<double>(std::max<std::size_t>(1, c.labels.size()));
  const Frame f{w, h, left, w - right, top, h - bottom};
  double hi = 0;  // the largest value plus its error, 5% above (1 when none is positive)
  for (std::size_t i = 0; i < c.value.size(); ++i)
    if (finite(c.value[i])) hi = std::max(hi, c.value[i] + error_of(c, i));
  if (hi <= 0) hi = 1;
  hi *= 1.05;
  auto xmap = [&](double v) { return f.x0 + std::clamp(v, 0.0, hi) / hi * (f.x1 - f.x0); };
  std::string s = open_svg(w, h);
  if (!c.title.empty()) s += title_text(w / 2, 22, c.title);
  s += hbar_grid(f, hi, xmap);
  for (std::size_t i = 0; i < c.labels.size(); ++i) s += bar_row(c, i, f, xmap);
  s += fmt::format("<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333\"/>\n", num(f.x0),
                   num(f.y0), num(f.y1));
  if (!c.x_label.empty()) s += text((f.x0 + f.x1) / 2, h - 8, c.x_label, 12);
  return s + "</svg>\n";
}

}  // namespace lrid::svg

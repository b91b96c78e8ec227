// Grouped bar charts with error bars. See svg.h.
#include <fmt/format.h>

#include <algorithm>

#include "figures/svg_primitives.h"

namespace lrid::svg {
namespace {

// The top of the y range: y_max when given, else the largest bar plus its error (or reference), 6% above.
double bar_top(const BarChart& c) {
  double hi = -INFINITY;
  for (const auto& s : c.series)
    for (std::size_t i = 0; i < s.value.size(); ++i)
      if (finite(s.value[i])) hi = std::max(hi, s.value[i] + (i < s.error.size() && finite(s.error[i]) ? s.error[i] : 0));
  for (const auto& r : c.references) hi = std::max(hi, r.y);
  if (!finite(hi)) hi = 1;
  double ymax = finite(c.y_max) ? c.y_max : hi + 0.06 * (hi - c.y_min);
  if (ymax <= c.y_min) ymax = c.y_min + 1;
  return ymax;
}

// Bar g of series k at x = bx, bw wide: its rectangle, its error bar (if any) and its value (if it fits).
std::string one_bar(const BarChart& c, std::size_t g, std::size_t k, double bx, double bw,
                    const std::function<double(double)>& ymap) {
  const Bars& b = c.series[k];
  const double v = b.value[g];
  const double ytop = ymap(std::max(v, c.y_min)), ybase = ymap(c.y_min);
  std::string s = fmt::format(
      "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>\n", num(bx),
      num(ytop), num(bw * 0.92), num(std::max(0.0, ybase - ytop)), colour(k),
      escape(fmt::format("{} / {}: {}", c.groups[g], b.name, value_label(v, 4))));
  double label_y = ytop - 3;
  if (g < b.error.size() && finite(b.error[g]) && b.error[g] > 0) {
    const double cx = bx + bw * 0.46, ya = ymap(v - b.error[g]), yb = ymap(v + b.error[g]);
    s += fmt::format("<path class=\"errorbar\" d=\"M{0} {1} V{2} M{3} {1} H{4} M{3} {2} H{4}\" stroke=\"#222\" "
                     "stroke-width=\"1.2\" fill=\"none\"/>\n",
                     num(cx), num(ya), num(yb), num(cx - bw * 0.2), num(cx + bw * 0.2));
    label_y = yb - 3;
  }
  if (bw >= 16) s += text(bx + bw * 0.46, label_y, value_label(v, 2), 9, "middle", "fill=\"#333\"");
  return s;
}

// Every group: its finite bars side by side (78% of the group's width) and its label below, rotated by 25° if asked.
std::string groups(const BarChart& c, const Frame& f, bool rotate, const std::function<double(double)>& ymap) {
  const auto ng = static_cast<double>(std::max<std::size_t>(1, c.groups.size()));
  const double gw = (f.x1 - f.x0) / ng;
  const auto ns = static_cast<double>(std::max<std::size_t>(1, c.series.size()));
  const double bw = gw * 0.78 / ns;
  std::string s;
  for (std::size_t g = 0; g < c.groups.size(); ++g) {
    const double gx = f.x0 + gw * static_cast<double>(g);
    for (std::size_t k = 0; k < c.series.size(); ++k)
      if (g < c.series[k].value.size() && finite(c.series[k].value[g]))
        s += one_bar(c, g, k, gx + gw * 0.11 + bw * static_cast<double>(k), bw, ymap);
    const double lx = gx + gw / 2, ly = f.y1 + 16;
    s += rotate ? text(lx, ly, c.groups[g], 11, "end", fmt::format("transform=\"rotate(-25 {} {})\"", num(lx), num(ly)))
                : text(lx, ly, c.groups[g], 11);
  }
  return s;
}

}  // namespace

std::string bar_chart(const BarChart& c) {
  std::vector<std::string> names;
  for (const auto& s : c.series) names.push_back(s.name);
  const double lw = c.series.size() > 1 ? legend_width(names) : 0.0;
  const double gw0 = (c.width - 64 - 16 - lw) / static_cast<double>(std::max<std::size_t>(1, c.groups.size()));
  double lab = 0;
  for (const auto& g : c.groups) lab = std::max(lab, text_width(g, 11));
  const bool rotate = lab > gw0 - 4;
  const double label_band = rotate ? lab * 0.43 + 18 : 22;  // sin(25°) of the longest label
  const double left = 64, right = 16 + lw, top = c.title.empty() ? 16 : 40;
  const double bottom = label_band + (c.x_label.empty() ? 12 : 30);
  const double w = c.width, h = c.height + (rotate ? label_band - 22 : 0);
  const Frame f{w, h, left, w - right, top, h - bottom};
  const double ymax = bar_top(c);
  auto ymap = [&](double v) { return f.y1 - (std::clamp(v, c.y_min, ymax) - c.y_min) / (ymax - c.y_min) * (f.y1 - f.y0); };
  std::string s = open_svg(w, h);
  if (!c.title.empty()) s += title_text(w / 2, 24, c.title);
  s += y_axis(nice_ticks(c.y_min, ymax), f.x0, f.x1, ymap, c.y_label, f.y0, f.y1);
  s += groups(c, f, rotate, ymap);
  s += x_axis_line(f);
  s += reference_lines(c.references, f.x0, f.x1, ymap, c.y_min, ymax);
  if (!c.x_label.empty()) s += text((f.x0 + f.x1) / 2, h - 10, c.x_label, 12);
  if (c.series.size() > 1) s += legend(f.x1 + 14, f.y0 + 12, names, false);
  return s + "</svg>\n";
}

}  // namespace lrid::svg

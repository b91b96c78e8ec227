// Line plots with error bands, markers and an optional log x axis. See svg.h.
#include <fmt/format.h>

#include <algorithm>

#include "figures/svg_primitives.h"

namespace lrid::svg {
namespace {

// Finite data ranges of a plot: x (log10 on a log axis) and y over values, bands and references.
struct Extent {
  double xl = INFINITY, xh = -INFINITY, yl = INFINITY, yh = -INFINITY;
  void add_y(double v) {
    if (!finite(v)) return;
    yl = std::min(yl, v);
    yh = std::max(yh, v);
  }
};

Extent line_extent(const LinePlot& p) {
  Extent e;
  for (const auto& l : p.lines)
    for (std::size_t i = 0; i < l.x.size() && i < l.y.size(); ++i) {
      if (!finite(l.x[i]) || (p.log_x && l.x[i] <= 0)) continue;
      const double x = p.log_x ? std::log10(l.x[i]) : l.x[i];
      e.xl = std::min(e.xl, x);
      e.xh = std::max(e.xh, x);
      for (double v : {l.y[i], i < l.lo.size() ? l.lo[i] : NAN, i < l.hi.size() ? l.hi[i] : NAN}) e.add_y(v);
    }
  for (const auto& r : p.references) e.add_y(r.y);
  return e;
}

// x ticks: explicit, powers of ten (log), or round steps; `xr` in axis units (log10 on a log axis).
std::vector<std::pair<double, std::string>> x_ticks(const LinePlot& p, const Range& xr) {
  std::vector<std::pair<double, std::string>> xt = p.x_ticks;
  if (!xt.empty()) return xt;
  if (p.log_x) {
    for (double e = std::ceil(xr.lo); e <= xr.hi + 1e-9; e += 1)
      xt.emplace_back(std::pow(10.0, e), fmt::format("1e{}", static_cast<int>(e)));
  } else {
    auto ticks = nice_ticks(xr.lo, xr.hi);
    const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1.0;
    for (double t : ticks) xt.emplace_back(t, tick_label(t, step));
  }
  return xt;
}

// Vertical gridlines and labels of the x ticks inside the plot area.
std::string line_x_grid(const LinePlot& p, const Range& xr, const Frame& f, const std::function<double(double)>& xmap) {
  std::string s;
  for (const auto& [v, label] : x_ticks(p, xr)) {
    if (!finite(v) || (p.log_x && v <= 0)) continue;
    const double x = xmap(v);
    if (x < f.x0 - 1 || x > f.x1 + 1) continue;
    s += fmt::format("<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#eeeeee\"/>\n", num(x),
                     num(f.y0), num(f.y1));
    s += text(x, f.y1 + 15, label, 10);
  }
  return s;
}

using AxisMap = std::function<double(double)>;

// Line k: its band (when lo and hi are complete; a non-finite end falls back to y), its path and markers.
std::string one_line(const LinePlot& p, std::size_t k, const AxisMap& xmap, const AxisMap& ymap) {
  const Line& l = p.lines[k];
  std::vector<std::size_t> idx;  // the drawable points
  for (std::size_t i = 0; i < l.x.size() && i < l.y.size(); ++i)
    if (finite(l.x[i]) && finite(l.y[i]) && !(p.log_x && l.x[i] <= 0)) idx.push_back(i);
  if (idx.empty()) return "";
  std::string s;
  auto at = [&](std::size_t i, const std::vector<double>& v) { return num(ymap(finite(v[i]) ? v[i] : l.y[i])); };
  if (l.lo.size() == l.y.size() && l.hi.size() == l.y.size()) {
    std::string d;
    for (std::size_t j = 0; j < idx.size(); ++j) d += fmt::format("{}{} {} ", j ? "L" : "M", num(xmap(l.x[idx[j]])), at(idx[j], l.hi));
    for (std::size_t j = idx.size(); j-- > 0;) d += fmt::format("L{} {} ", num(xmap(l.x[idx[j]])), at(idx[j], l.lo));
    s += fmt::format("<path class=\"band\" d=\"{}Z\" fill=\"{}\" fill-opacity=\"0.18\" stroke=\"none\"/>\n", d, colour(k));
  }
  std::string d;
  for (std::size_t j = 0; j < idx.size(); ++j) d += fmt::format("{}{} {} ", j ? "L" : "M", num(xmap(l.x[idx[j]])), num(ymap(l.y[idx[j]])));
  s += fmt::format("<path class=\"line\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>\n", d, colour(k),
                   l.dashed ? " stroke-dasharray=\"6,3\"" : "");
  for (std::size_t i : idx)
    s += fmt::format("<circle class=\"marker\" cx=\"{}\" cy=\"{}\" r=\"2.8\" fill=\"{}\"><title>{}</title></circle>\n",
                     num(xmap(l.x[i])), num(ymap(l.y[i])), colour(k),
                     escape(fmt::format("{}: x={} y={}", l.name, value_label(l.x[i]), value_label(l.y[i], 4))));
  return s;
}

}  // namespace

std::string line_plot(const LinePlot& p) {
  std::vector<std::string> names;
  std::vector<bool> dashed;
  for (const auto& l : p.lines) {
    names.push_back(l.name);
    dashed.push_back(l.dashed);
  }
  const double lw = legend_width(names);
  const double left = 64, right = 16 + lw, top = p.title.empty() ? 16 : 40, bottom = p.x_label.empty() ? 36 : 54;
  const double w = p.width + lw, h = p.height;
  const Frame f{w, h, left, w - right, top, h - bottom};
  const Extent e = line_extent(p);
  const Range xr = pad_range(e.xl, e.xh, 0.04);
  Range yr = pad_range(e.yl, e.yh, 0.08);
  if (finite(p.y_min)) yr.lo = p.y_min;
  if (finite(p.y_max)) yr.hi = p.y_max;
  if (yr.hi <= yr.lo) yr.hi = yr.lo + 1;
  auto xmap = [&](double x) { return f.x0 + ((p.log_x ? std::log10(x) : x) - xr.lo) / (xr.hi - xr.lo) * (f.x1 - f.x0); };
  auto ymap = [&](double y) { return f.y1 - (y - yr.lo) / (yr.hi - yr.lo) * (f.y1 - f.y0); };
  std::string s = open_svg(w, h);
  if (!p.title.empty()) s += title_text((f.x0 + f.x1) / 2, 24, p.title);
  s += y_axis(nice_ticks(yr.lo, yr.hi), f.x0, f.x1, ymap, p.y_label, f.y0, f.y1);
  s += line_x_grid(p, xr, f, xmap);
  s += x_axis_line(f);
  for (std::size_t k = 0; k < p.lines.size(); ++k) s += one_line(p, k, xmap, ymap);
  s += reference_lines(p.references, f.x0, f.x1, ymap, yr.lo, yr.hi);
  if (!p.x_label.empty()) s += text((f.x0 + f.x1) / 2, h - 10, p.x_label, 12);
  if (!names.empty()) s += legend(f.x1 + 14, f.y0 + 12, names, true, dashed);
  return s + "</svg>\n";
}

}  // namespace lrid::svg

// SVG figures. See svg.h.
#include "figures/svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <regex>

#include "core/errors.h"
#include "core/files.h"

namespace lrid::svg {
namespace {

constexpr const char* kFont = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";

bool finite(double v) { return std::isfinite(v); }

// Approximate text width of `s` at `size` px (sans-serif averages ~0.58 em per character).
double text_width(const std::string& s, double size) {
  std::size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;  // UTF-8 code points
  return 0.58 * size * static_cast<double>(chars);
}

std::string num(double v) { return fmt::format("{:.2f}", v); }

// Tick label: as many decimals as the step needs.
std::string tick_label(double v, double step) {
  if (std::abs(v) < 1e-12 * std::max(1.0, std::abs(step))) v = 0;
  int decimals = 0;  // the fewest that show the step exactly (0.025 needs 3)
  while (decimals < 6 && std::abs(std::round(step * std::pow(10.0, decimals)) - step * std::pow(10.0, decimals)) >
                             1e-6 * step * std::pow(10.0, decimals))
    ++decimals;
  if (std::abs(v) >= 1e5 || (std::abs(v) > 0 && std::abs(v) < 1e-4)) return fmt::format("{:.1e}", v);
  return fmt::format("{:.{}f}", v, std::min(decimals, 6));
}

// A value printed on a figure.
std::string value_label(double v, int decimals = -1) {
  if (!finite(v)) return "";
  if (decimals >= 0) return fmt::format("{:.{}f}", v, decimals);
  if (std::abs(v) >= 100) return fmt::format("{:.0f}", v);
  if (std::abs(v) >= 1) return fmt::format("{:.2f}", v);
  return fmt::format("{:.3g}", v);
}

std::string text(double x, double y, const std::string& s, double size, const std::string& anchor = "middle",
                 const std::string& extra = "") {
  return fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{}\" {}{}>{}</text>\n", num(x), num(y),
                     num(size), anchor, kFont, extra.empty() ? "" : " " + extra, escape(s));
}

std::string open_svg(double w, double h) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\">\n"
      "<rect class=\"background\" x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
      num(w), num(h));
}

struct Range {
  double lo, hi;
};

// Data range of finite values, padded; a degenerate range is widened.
Range pad_range(double lo, double hi, double pad = 0.05) {
  if (!finite(lo) || !finite(hi)) return {0, 1};
  if (hi - lo < 1e-12) {
    const double d = std::max(1e-3, std::abs(hi) * 0.1);
    return {lo - d, hi + d};
  }
  const double d = (hi - lo) * pad;
  return {lo - d, hi + d};
}

// A legend block at (x, y): one row per entry, a swatch (bar or line) and the name.
std::string legend(double x, double y, const std::vector<std::string>& names, bool lines,
                   const std::vector<bool>& dashed = {}) {
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

// Horizontal gridlines and y tick labels over [x0, x1] for ticks mapped by `ymap`.
template <class Map>
std::string y_axis(const std::vector<double>& ticks, double x0, double x1, Map ymap, const std::string& label,
                   double top, double bottom) {
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

std::string reference_lines(const std::vector<Reference>& refs, double x0, double x1, const std::function<double(double)>& ymap,
                            double y_lo, double y_hi) {
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

// Heat-map colour: white to dark blue, t in [0, 1].
std::string ramp(double t) {
  t = std::clamp(t, 0.0, 1.0);
  const int r = static_cast<int>(std::lround(255 + (8 - 255) * t));
  const int g = static_cast<int>(std::lround(255 + (48 - 255) * t));
  const int b = static_cast<int>(std::lround(255 + (107 - 255) * t));
  return fmt::format("#{:02x}{:02x}{:02x}", r, g, b);
}

}  // namespace

std::string escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string colour(std::size_t i) {
  static const char* palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return palette[i % 10];
}

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
  const double w = c.width, h = c.height + (rotate ? label_band - 22 : 0), x0 = left, x1 = w - right, y0 = top,
               y1 = h - bottom;
  double hi = -INFINITY;
  for (const auto& s : c.series)
    for (std::size_t i = 0; i < s.value.size(); ++i)
      if (finite(s.value[i])) hi = std::max(hi, s.value[i] + (i < s.error.size() && finite(s.error[i]) ? s.error[i] : 0));
  for (const auto& r : c.references) hi = std::max(hi, r.y);
  if (!finite(hi)) hi = 1;
  double ymax = finite(c.y_max) ? c.y_max : hi + 0.06 * (hi - c.y_min);
  if (ymax <= c.y_min) ymax = c.y_min + 1;
  std::vector<double> ticks = nice_ticks(c.y_min, ymax);
  auto ymap = [&](double v) { return y1 - (std::clamp(v, c.y_min, ymax) - c.y_min) / (ymax - c.y_min) * (y1 - y0); };
  std::string s = open_svg(w, h);
  if (!c.title.empty()) s += text(w / 2, 24, c.title, 14, "middle", "font-weight=\"bold\"");
  s += y_axis(ticks, x0, x1, ymap, c.y_label, y0, y1);
  const auto ng = static_cast<double>(std::max<std::size_t>(1, c.groups.size()));
  const double gw = (x1 - x0) / ng;
  const auto ns = static_cast<double>(std::max<std::size_t>(1, c.series.size()));
  const double bw = gw * 0.78 / ns;
  for (std::size_t g = 0; g < c.groups.size(); ++g) {
    const double gx = x0 + gw * static_cast<double>(g);
    for (std::size_t k = 0; k < c.series.size(); ++k) {
      const Bars& b = c.series[k];
      if (g >= b.value.size() || !finite(b.value[g])) continue;
      const double bx = gx + gw * 0.11 + bw * static_cast<double>(k), v = b.value[g];
      const double ytop = ymap(std::max(v, c.y_min)), ybase = ymap(c.y_min);
      s += fmt::format("<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>\n",
                       num(bx), num(ytop), num(bw * 0.92), num(std::max(0.0, ybase - ytop)), colour(k),
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
    }
    const double lx = gx + gw / 2, ly = y1 + 16;
    s += rotate ? text(lx, ly, c.groups[g], 11, "end", fmt::format("transform=\"rotate(-25 {} {})\"", num(lx), num(ly)))
                : text(lx, ly, c.groups[g], 11);
  }
  s += fmt::format("<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n", num(x0), num(y1),
                   num(x1), num(y1));
  s += reference_lines(c.references, x0, x1, ymap, c.y_min, ymax);
  if (!c.x_label.empty()) s += text((x0 + x1) / 2, h - 10, c.x_label, 12);
  if (c.series.size() > 1) s += legend(x1 + 14, y0 + 12, names, false);
  return s + "</svg>\n";
}

std::string hbar_chart(const HBarChart& c) {
  double lw = 0;
  for (const auto& l : c.labels) lw = std::max(lw, text_width(l, 11));
  const double row = 18, top = c.title.empty() ? 12 : 36, bottom = c.x_label.empty() ? 28 : 46;
  const double left = lw + 14, right = 46, w = std::max(c.width, left + 200);
  const double h = top + bottom + row * static_cast<double>(std::max<std::size_t>(1, c.labels.size()));
  const double x0 = left, x1 = w - right, y0 = top, y1 = h - bottom;
  double hi = 0;
  for (std::size_t i = 0; i < c.value.size(); ++i)
    if (finite(c.value[i])) hi = std::max(hi, c.value[i] + (i < c.error.size() && finite(c.error[i]) ? c.error[i] : 0));
  if (hi <= 0) hi = 1;
  hi *= 1.05;
  auto xmap = [&](double v) { return x0 + std::clamp(v, 0.0, hi) / hi * (x1 - x0); };
  std::string s = open_svg(w, h);
  if (!c.title.empty()) s += text(w / 2, 22, c.title, 14, "middle", "font-weight=\"bold\"");
  std::vector<double> ticks = nice_ticks(0, hi, 4);
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1.0;
  for (double t : ticks) {
    s += fmt::format("<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#e3e3e3\"/>\n", num(xmap(t)),
                     num(y0), num(y1));
    s += text(xmap(t), y1 + 14, tick_label(t, step), 10);
  }
  for (std::size_t i = 0; i < c.labels.size(); ++i) {
    const double y = y0 + row * static_cast<double>(i);
    s += text(x0 - 6, y + row * 0.68, c.labels[i], 11, "end");
    if (i >= c.value.size() || !finite(c.value[i])) continue;
    s += fmt::format("<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>\n",
                     num(x0), num(y + 3), num(xmap(c.value[i]) - x0), num(row - 6),
                     colour(i < c.colours.size() ? static_cast<std::size_t>(c.colours[i]) : 0),
                     escape(fmt::format("{}: {}", c.labels[i], value_label(c.value[i], 4))));
    if (i < c.error.size() && finite(c.error[i]) && c.error[i] > 0) {
      const double cy = y + row / 2, xa = xmap(c.value[i] - c.error[i]), xb = xmap(c.value[i] + c.error[i]);
      s += fmt::format("<path class=\"errorbar\" d=\"M{0} {2} H{1} M{0} {3} V{4} M{1} {3} V{4}\" stroke=\"#222\" "
                       "stroke-width=\"1.1\" fill=\"none\"/>\n",
                       num(xa), num(xb), num(cy), num(cy - 3), num(cy + 3));
    }
    s += text(xmap(c.value[i] + (i < c.error.size() && finite(c.error[i]) ? c.error[i] : 0)) + 4, y + row * 0.68,
              value_label(c.value[i], 3), 9, "start", "fill=\"#333\"");
  }
  s += fmt::format("<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333\"/>\n", num(x0), num(y0),
                   num(y1));
  if (!c.x_label.empty()) s += text((x0 + x1) / 2, h - 8, c.x_label, 12);
  return s + "</svg>\n";
}

std::string line_plot(const LinePlot& p) {
  std::vector<std::string> names;
  std::vector<bool> dashed;
  for (const auto& l : p.lines) {
    names.push_back(l.name);
    dashed.push_back(l.dashed);
  }
  const double lw = legend_width(names);
  const double left = 64, right = 16 + lw, top = p.title.empty() ? 16 : 40, bottom = p.x_label.empty() ? 36 : 54;
  const double w = p.width + lw, h = p.height, x0 = left, x1 = w - right, y0 = top, y1 = h - bottom;
  auto tx = [&](double x) { return p.log_x ? std::log10(x) : x; };
  double xl = INFINITY, xh = -INFINITY, yl = INFINITY, yh = -INFINITY;
  for (const auto& l : p.lines)
    for (std::size_t i = 0; i < l.x.size() && i < l.y.size(); ++i) {
      if (!finite(l.x[i]) || (p.log_x && l.x[i] <= 0)) continue;
      xl = std::min(xl, tx(l.x[i]));
      xh = std::max(xh, tx(l.x[i]));
      for (double v : {l.y[i], i < l.lo.size() ? l.lo[i] : NAN, i < l.hi.size() ? l.hi[i] : NAN})
        if (finite(v)) {
          yl = std::min(yl, v);
          yh = std::max(yh, v);
        }
    }
  for (const auto& r : p.references)
    if (finite(r.y)) {
      yl = std::min(yl, r.y);
      yh = std::max(yh, r.y);
    }
  Range xr = pad_range(xl, xh, 0.04), yr = pad_range(yl, yh, 0.08);
  if (finite(p.y_min)) yr.lo = p.y_min;
  if (finite(p.y_max)) yr.hi = p.y_max;
  if (yr.hi <= yr.lo) yr.hi = yr.lo + 1;
  auto xmap = [&](double x) { return x0 + (tx(x) - xr.lo) / (xr.hi - xr.lo) * (x1 - x0); };
  auto ymap = [&](double y) { return y1 - (y - yr.lo) / (yr.hi - yr.lo) * (y1 - y0); };
  std::string s = open_svg(w, h);
  if (!p.title.empty()) s += text((x0 + x1) / 2, 24, p.title, 14, "middle", "font-weight=\"bold\"");
  s += y_axis(nice_ticks(yr.lo, yr.hi), x0, x1, ymap, p.y_label, y0, y1);
  // x ticks: explicit, powers of ten (log), or round steps.
  std::vector<std::pair<double, std::string>> xt = p.x_ticks;
  if (xt.empty()) {
    if (p.log_x) {
      for (double e = std::ceil(xr.lo); e <= xr.hi + 1e-9; e += 1) xt.emplace_back(std::pow(10.0, e), fmt::format("1e{}", static_cast<int>(e)));
    } else {
      auto ticks = nice_ticks(xr.lo, xr.hi);
      const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1.0;
      for (double t : ticks) xt.emplace_back(t, tick_label(t, step));
    }
  }
  for (const auto& [v, label] : xt) {
    if (!finite(v) || (p.log_x && v <= 0)) continue;
    const double x = xmap(v);
    if (x < x0 - 1 || x > x1 + 1) continue;
    s += fmt::format("<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#eeeeee\"/>\n", num(x), num(y0),
                     num(y1));
    s += text(x, y1 + 15, label, 10);
  }
  s += fmt::format("<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n", num(x0), num(y1),
                   num(x1), num(y1));
  for (std::size_t k = 0; k < p.lines.size(); ++k) {
    const Line& l = p.lines[k];
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < l.x.size() && i < l.y.size(); ++i)
      if (finite(l.x[i]) && finite(l.y[i]) && !(p.log_x && l.x[i] <= 0)) idx.push_back(i);
    if (idx.empty()) continue;
    if (l.lo.size() == l.y.size() && l.hi.size() == l.y.size()) {
      std::string d;
      for (std::size_t j = 0; j < idx.size(); ++j)
        d += fmt::format("{}{} {} ", j ? "L" : "M", num(xmap(l.x[idx[j]])), num(ymap(finite(l.hi[idx[j]]) ? l.hi[idx[j]] : l.y[idx[j]])));
      for (std::size_t j = idx.size(); j-- > 0;)
        d += fmt::format("L{} {} ", num(xmap(l.x[idx[j]])), num(ymap(finite(l.lo[idx[j]]) ? l.lo[idx[j]] : l.y[idx[j]])));
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
  }
  s += reference_lines(p.references, x0, x1, ymap, yr.lo, yr.hi);
  if (!p.x_label.empty()) s += text((x0 + x1) / 2, h - 10, p.x_label, 12);
  if (!names.empty()) s += legend(x1 + 14, y0 + 12, names, true, dashed);
  return s + "</svg>\n";
}

std::string heat_map(const HeatMap& m) {
  const double cell = m.cell;
  double rw = 0, cw = 0;
  for (const auto& r : m.rows) rw = std::max(rw, text_width(r, 11));
  for (const auto& c : m.cols) cw = std::max(cw, text_width(c, 11));
  const bool rotate_cols = cw > cell - 4;
  const double col_band = rotate_cols ? cw * 0.75 + 10 : 18;
  const double top = (m.title.empty() ? 10 : 34) + col_band + (m.col_label.empty() ? 0 : 16);
  const double left = rw + 14 + (m.row_label.empty() ? 0 : 18);
  const double nr = static_cast<double>(m.rows.size()), nc = static_cast<double>(m.cols.size());
  const double bar_w = 14, w = left + nc * cell + 26 + bar_w + 50, h = top + nr * cell + 20;
  double vmax = m.v_max, vmin = m.v_min;
  if (!finite(vmax)) {
    vmax = -INFINITY;
    for (const auto& row : m.values)
      for (double v : row)
        if (finite(v)) vmax = std::max(vmax, v);
    if (!finite(vmax)) vmax = 1;
  }
  if (vmax <= vmin) vmax = vmin + 1;
  std::string s = open_svg(w, h);
  if (!m.title.empty()) s += text(w / 2, 22, m.title, 14, "middle", "font-weight=\"bold\"");
  if (!m.col_label.empty()) s += text(left + nc * cell / 2, (m.title.empty() ? 10 : 34) + 10, m.col_label, 12);
  for (std::size_t j = 0; j < m.cols.size(); ++j) {
    const double x = left + cell * (static_cast<double>(j) + 0.5), y = top - 6;
    s += rotate_cols ? text(x, y, m.cols[j], 11, "start", fmt::format("transform=\"rotate(-50 {} {})\"", num(x), num(y)))
                     : text(x, y, m.cols[j], 11);
  }
  if (!m.row_label.empty()) {
    const double cy = top + nr * cell / 2;
    s += text(14, cy, m.row_label, 12, "middle", fmt::format("transform=\"rotate(-90 14 {})\"", num(cy)));
  }
  for (std::size_t i = 0; i < m.rows.size(); ++i) {
    const double y = top + cell * static_cast<double>(i);
    s += text(left - 6, y + cell / 2 + 4, m.rows[i], 11, "end");
    for (std::size_t j = 0; j < m.cols.size(); ++j) {
      const double v = i < m.values.size() && j < m.values[i].size() ? m.values[i][j] : NAN;
      const double x = left + cell * static_cast<double>(j);
      const double t = finite(v) ? (v - vmin) / (vmax - vmin) : 0;
      s += fmt::format("<rect class=\"cell\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"#fff\" "
                       "stroke-width=\"0.5\"><title>{}</title></rect>\n",
                       num(x), num(y), num(cell), num(cell), finite(v) ? ramp(t) : "#f4f4f4",
                       escape(fmt::format("{} / {}: {}", m.rows[i], m.cols[j], value_label(v, 4))));
      if (m.show_values && finite(v))
        s += text(x + cell / 2, y + cell / 2 + 4, value_label(v, m.decimals), std::min(12.0, cell * 0.3), "middle",
                  fmt::format("class=\"value\" fill=\"{}\"", t > 0.55 ? "#fff" : "#111"));
    }
  }
  // Colour bar.
  const double bx = left + nc * cell + 22, by = top, bh = nr * cell;
  for (int k = 0; k < 20; ++k) {
    const double t = 1.0 - (k + 0.5) / 20.0;
    s += fmt::format("<rect class=\"colourbar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>\n", num(bx),
                     num(by + bh * k / 20.0), num(bar_w), num(bh / 20.0 + 0.5), ramp(t));
  }
  s += text(bx + bar_w + 4, by + 10, value_label(vmax), 10, "start");
  s += text(bx + bar_w + 4, by + bh, value_label(vmin), 10, "start");
  return s + "</svg>\n";
}

std::string panels(const std::vector<std::string>& figures, int columns, const std::string& title) {
  columns = std::max(1, columns);
  static const std::regex size_re("^<svg[^>]*?width=\"([0-9.]+)\" height=\"([0-9.]+)\"");
  std::vector<std::pair<double, double>> sizes;
  for (const auto& f : figures) {
    std::smatch m;
    if (!std::regex_search(f, m, size_re)) throw Error("svg::panels: a figure without width/height");
    sizes.emplace_back(std::stod(m[1]), std::stod(m[2]));
  }
  const double head = title.empty() ? 0 : 34;
  double total_w = 0, y = head;
  std::string body;
  for (std::size_t start = 0; start < figures.size(); start += static_cast<std::size_t>(columns)) {
    double x = 0, row_h = 0;
    for (std::size_t i = start; i < std::min(figures.size(), start + static_cast<std::size_t>(columns)); ++i) {
      body += fmt::format("<svg x=\"{}\" y=\"{}\"", num(x), num(y)) + figures[i].substr(4);
      x += sizes[i].first;
      row_h = std::max(row_h, sizes[i].second);
    }
    total_w = std::max(total_w, x);
    y += row_h;
  }
  std::string s = open_svg(std::max(total_w, 100.0), std::max(y, 10.0));
  if (!title.empty()) s += text(total_w / 2, 24, title, 15, "middle", "font-weight=\"bold\"");
  return s + body + "</svg>\n";
}

void write_svg(const std::filesystem::path& path, const std::string& figure) {
  write_file_atomic(path, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + figure);
}

}  // namespace lrid::svg

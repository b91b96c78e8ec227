// Heat maps with their values and a colour bar. See svg.h.
#include <fmt/format.h>

#include <algorithm>

#include "figures/svg_primitives.h"

namespace lrid::svg {
namespace {

constexpr double kBarWidth = 14;  // colour bar

// The top of the colour scale: v_max when given, else the largest finite value (1 when none);
// above v_min in any case.
double scale_top(const HeatMap& m) {
  double vmax = m.v_max;
  if (!finite(vmax)) {
    vmax = -INFINITY;
    for (const auto& row : m.values)
      for (double v : row)
        if (finite(v)) vmax = std::max(vmax, v);
    if (!finite(vmax)) vmax = 1;
  }
  return vmax <= m.v_min ? m.v_min + 1 : vmax;
}

// Column labels above the cells (rotated by 50° when they do not fit a cell) and the row axis label.
std::string heat_labels(const HeatMap& m, double left, double top, bool rotate_cols) {
  const double cell = m.cell, nr = static_cast<double>(m.rows.size()), nc = static_cast<double>(m.cols.size());
  std::string s;
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
  return s;
}

// Row i: its label and its cells (NaN: grey, no value), values in white on dark cells.
std::string cell_row(const HeatMap& m, std::size_t i, double left, double top, double vmin, double vmax) {
  const double cell = m.cell, y = top + cell * static_cast<double>(i);
  std::string s = text(left - 6, y + cell / 2 + 4, m.rows[i], 11, "end");
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
  return s;
}

// A colour bar of 20 steps at (bx, by), bh high, labelled with the scale's ends.
std::string colour_bar(double bx, double by, double bh, double vmin, double vmax) {
  std::string s;
  for (int k = 0; k < 20; ++k) {
    const double t = 1.0 - (k + 0.5) / 20.0;
    s += fmt::format("<rect class=\"colourbar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>\n", num(bx),
                     num(by + bh * k / 20.0), num(kBarWidth), num(bh / 20.0 + 0.5), ramp(t));
  }
  s += text(bx + kBarWidth + 4, by + 10, value_label(vmax), 10, "start");
  s += text(bx + kBarWidth + 4, by + bh, value_label(vmin), 10, "start");
  return s;
}

}  // namespace

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
  const double w = left + nc * cell + 26 + kBarWidth + 50, h = top + nr * cell + 20;
  const double vmin = m.v_min, vmax = scale_top(m);
  std::string s = open_svg(w, h);
  if (!m.title.empty()) s += title_text(w / 2, 22, m.title);
  s += heat_labels(m, left, top, rotate_cols);
  for (std::size_t i = 0; i < m.rows.size(); ++i) s += cell_row(m, i, left, top, vmin, vmax);
  s += colour_bar(left + nc * cell + 22, top, nr * cell, vmin, vmax);
  return s + "</svg>\n";
}

}  // namespace lrid::svg

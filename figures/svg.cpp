// Panels of figures and standalone SVG files. See svg.h; the charts are in
// bar_chart.cpp, hbar_chart.cpp, line_plot.cpp and heat_map.cpp, their shared
// primitives in svg_primitives.cpp and axes.cpp.
#include "figures/svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <regex>

#include "core/errors.h"
#include "core/files.h"
#include "figures/svg_primitives.h"

namespace lrid::svg {

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
  if (!title.empty()) s += title_text(total_w / 2, 24, title, 15);
  return s + body + "</svg>\n";
}

void write_svg(const std::filesystem::path& path, const std::string& figure) {
  write_file_atomic(path, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + figure);
}

}  // namespace lrid::svg

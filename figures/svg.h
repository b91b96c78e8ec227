// SVG figures written by lrid itself, readable in any browser or viewer:
// grouped bar charts with error bars, horizontal bar charts, line plots with
// error bands, and heat maps with their values. Written by hand because the
// figures need only rectangles, paths and text, and Debian's plotting libraries
// either drive an external program (gnuplot) or pull in a toolkit (PLplot,
// with its own device drivers and fonts) for output this small writer gives.
//
// Every figure is a complete <svg> element (no XML declaration, so it can be
// inlined into HTML); write_svg() adds the declaration for a standalone file.
// Elements carry classes (bar, errorbar, band, line, marker, cell, value,
// reference) so that tests can count what was drawn. Non-finite values are
// not drawn (and never printed as "nan").
#pragma once
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace lrid::svg {

// One series of a bar chart: a value (and an optional error half-width) per group.
struct Bars {
  std::string name;
  std::vector<double> value, error;
};

// A horizontal line across a chart (chance level, an in-distribution reference).
struct Reference {
  double y = 0;
  std::string label;
  bool dashed = true;
};

struct BarChart {
  std::string title, x_label, y_label;
  std::vector<std::string> groups;  // categories along x
  std::vector<Bars> series;         // bars side by side within each group
  std::vector<Reference> references;
  double y_min = 0, y_max = std::numeric_limits<double>::quiet_NaN();  // NaN: from the data
  double width = 640, height = 380;
};

// Horizontal bars in the given order (top to bottom), with error bars.
struct HBarChart {
  std::string title, x_label;
  std::vector<std::string> labels;
  std::vector<double> value, error;
  std::vector<int> colours;  // palette index per bar (empty: the first colour)
  double width = 520;
};

struct Line {
  std::string name;
  std::vector<double> x, y;
  std::vector<double> lo, hi;  // an error band (empty: none)
  bool dashed = false;
};

struct LinePlot {
  std::string title, x_label, y_label;
  std::vector<Line> lines;
  std::vector<Reference> references;
  bool log_x = false;
  std::vector<std::pair<double, std::string>> x_ticks;  // explicit ticks (empty: automatic)
  double y_min = std::numeric_limits<double>::quiet_NaN(), y_max = std::numeric_limits<double>::quiet_NaN();
  double width = 520, height = 360;
};

struct HeatMap {
  std::string title, row_label, col_label;
  std::vector<std::string> rows, cols;
  std::vector<std::vector<double>> values;  // [rows][cols]
  bool show_values = true;
  int decimals = 2;
  double v_min = 0, v_max = std::numeric_limits<double>::quiet_NaN();  // NaN: the largest value
  double cell = 44;                                                    // cell side in pixels
};

std::string bar_chart(const BarChart& chart);
std::string hbar_chart(const HBarChart& chart);
std::string line_plot(const LinePlot& plot);
std::string heat_map(const HeatMap& map);
// Figures side by side, `columns` per row, under an optional common title.
std::string panels(const std::vector<std::string>& figures, int columns, const std::string& title = "");

// Writes a standalone .svg file (XML declaration + figure), atomically.
void write_svg(const std::filesystem::path& path, const std::string& figure);

// Helpers, exposed for tests.
std::string escape(const std::string& text);                    // XML text and attributes
std::vector<double> nice_ticks(double lo, double hi, int target = 5);  // round steps covering [lo, hi]
std::string colour(std::size_t i);                              // the palette, cycling

}  // namespace lrid::svg

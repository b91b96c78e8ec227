// Formatting and elements shared by the charts. See svg_primitives.h.
#include "figures/svg_primitives.h"

#include <fmt/format.h>

#include <algorithm>

namespace lrid::svg {

double text_width(const std::string& s, double size) {
  std::size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;  // UTF-8 code points
  return 0.58 * size * static_cast<double>(chars);
}

std::string num(double v) { return fmt::format("{:.2f}", v); }

std::string tick_label(double v, double step) {
  if (std::abs(v) < 1e-12 * std::max(1.0, std::abs(step))) v = 0;
  int decimals = 0;  // the fewest that show the step exactly (0.025 needs 3)
  while (decimals < 6 && std::abs(std::round(step * std::pow(10.0, decimals)) - step * std::pow(10.0, decimals)) >
                             1e-6 * step * std::pow(10.0, decimals))
    ++decimals;
  if (std::abs(v) >= 1e5 || (std::abs(v) > 0 && std::abs(v) < 1e-4)) return fmt::format("{:.1e}", v);
  return fmt::format("{:.{}f}", v, std::min(decimals, 6));
}

std::string value_label(double v, int decimals) {
  if (!finite(v)) return "";
  if (decimals >= 0) return fmt::format("{:.{}f}", v, decimals);
  if (std::abs(v) >= 100) return fmt::format("{:.0f}", v);
  if (std::abs(v) >= 1) return fmt::format("{:.2f}", v);
  return fmt::format("{:.3g}", v);
}

std::string text(double x, double y, const std::string& s, double size, const std::string& anchor,
                 const std::string& extra) {
  return fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{}\" {}{}>{}</text>\n", num(x), num(y),
                     num(size), anchor, kFont, extra.empty() ? "" : " " + extra, escape(s));
}

std::string open_svg(double w, double h) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\">\n"
      "<rect class=\"background\" x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
      num(w), num(h));
}

std::string x_axis_line(const Frame& f) {
  return fmt::format("<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n", num(f.x0),
                     num(f.y1), num(f.x1), num(f.y1));
}

std::string title_text(double x, double y, const std::string& title, double size) {
  return text(x, y, title, size, "middle", "font-weight=\"bold\"");
}

std::string ramp(double t) {
  t = std::clamp(t, 0.0, 1.0);
  const int r = static_cast<int>(std::lround(255 + (8 - 255) * t));
  const int g = static_cast<int>(std::lround(255 + (48 - 255) * t));
  const int b = static_cast<int>(std::lround(255 + (107 - 255) * t));
  return fmt::format("#{:02x}{:02x}{:02x}", r, g, b);
}

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

}  // namespace lrid::svg

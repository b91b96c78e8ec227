// The report's HTML tables. See html_tables.h.
#include "report/html_tables.h"

#include <fmt/format.h>

#include <cmath>

#include "core/csv.h"
#include "core/files.h"
#include "figures/svg.h"

namespace lrid {

using svg::escape;

std::string tidy_cell(const std::string& s) {
  try {
    std::size_t n = 0;
    const double v = std::stod(s, &n);
    if (n != s.size() || s.find_first_of(".eE") == std::string::npos) return s;
    if (std::abs(v) >= 1000) return fmt::format("{:.1f}", v);
    if (std::abs(v) >= 1e-3 || v == 0) return fmt::format("{:.4f}", v);
    return fmt::format("{:.3e}", v);
  } catch (const std::exception&) {
    return s;
  }
}

std::string html_table(const std::filesystem::path& csv, std::size_t max_rows) {
  auto rows = parse_csv(read_file(csv));
  if (rows.empty()) return "";
  std::string s = "<div class=\"table-wrap\"><table>\n<thead><tr>";
  for (const auto& h : rows[0]) s += "<th>" + escape(h) + "</th>";
  s += "</tr></thead>\n<tbody>\n";
  for (std::size_t i = 1; i < rows.size() && i <= max_rows; ++i) {
    s += "<tr>";
    for (const auto& c : rows[i]) s += "<td>" + escape(tidy_cell(c)) + "</td>";
    s += "</tr>\n";
  }
  s += "</tbody></table></div>\n";
  if (rows.size() - 1 > max_rows)
    s += fmt::format("<p class=\"note\">First {} of {} rows; all of them in <code>{}</code>.</p>\n", max_rows,
                     rows.size() - 1, escape(csv.filename().string()));
  return s;
}

std::string verdict_class(const std::string& v) {
  if (v.rfind("agrees", 0) == 0 || v == "generalises") return "agree";
  if (v.rfind("disagrees", 0) == 0 || v == "does not generalise") return "disagree";
  return "partly";
}

std::string findings_table(const std::vector<std::pair<std::string, FindingCheck>>& items, bool with_experiment) {
  if (items.empty()) return "";
  std::string s = "<div class=\"table-wrap\"><table class=\"findings\">\n<thead><tr>";
  if (with_experiment) s += "<th>experiment</th>";
  s += "<th>finding tested</th><th>source</th><th>our measurement</th><th>verdict</th></tr></thead>\n<tbody>\n";
  for (const auto& [exp, f] : items) {
    s += "<tr>";
    if (with_experiment) s += "<td>" + escape(exp) + "</td>";
    s += fmt::format("<td>{}</td><td>{}</td><td>{}</td><td class=\"verdict {}\">{}</td></tr>\n", escape(f.finding),
                     escape(f.source), escape(f.measured), verdict_class(f.verdict), escape(f.verdict));
  }
  return s + "</tbody></table></div>\n";
}

}  // namespace lrid

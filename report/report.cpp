// The HTML report. See report.h; its tables are in html_tables.cpp.
#include "report/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "core/errors.h"
#include "core/files.h"
#include "core/json.h"
#include "core/progress.h"
#include "core/version.h"
#include "experiments/manifest.h"
#include "figures/svg.h"
#include "report/html_tables.h"

namespace lrid {
namespace fs = std::filesystem;
namespace {

using svg::escape;

// The figure's <svg> element (its XML declaration dropped); DataError when the file holds none.
std::string inline_svg(const fs::path& file) {
  std::string s = read_file(file);
  if (s.rfind("<?xml", 0) == 0) s = s.substr(s.find("?>") + 2);
  const auto start = s.find("<svg");
  if (start == std::string::npos) throw DataError(fmt::format("{}: not an SVG figure", file.string()));
  return s.substr(start);
}

// A JSON scalar as it reads: strings as they are, numbers as written.
std::string json_scalar_text(const Json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

// "k1 v1, k2 v2" of a JSON map.
std::string map_text(const Json& m) {
  std::string t;
  for (const auto& [k, v] : m.items()) t += fmt::format("{}{} {}", t.empty() ? "" : ", ", k, json_scalar_text(v));
  return t;
}

// provenance.json as a two-column table (a note when the file is missing).
std::string provenance_html(const fs::path& path) {
  if (!fs::exists(path)) return "<p class=\"note\">No provenance.json in the results directory.</p>\n";
  const Json n = read_json(path);
  std::string s = "<div class=\"table-wrap\"><table class=\"provenance\">\n";
  auto row = [&](const std::string& k, const std::string& v) {
    s += "<tr><th>" + escape(k) + "</th><td>" + escape(v) + "</td></tr>\n";
  };
  auto field = [&](const char* key) { return n.contains(key) ? json_scalar_text(n.at(key)) : std::string(); };
  row("dataset", field("dataset"));
  row("rows × time points × observables",
      fmt::format("{} × {} × {}", field("rows"), field("time_points"), field("observables")));
  if (n.contains("rules")) row("rows per rule", map_text(n.at("rules")));
  if (n.contains("columns"))
    for (const auto& [k, v] : n.at("columns").items()) row("rows per " + k, map_text(v));
  if (n.contains("attributes"))
    for (const auto& [k, v] : n.at("attributes").items()) row("dataset attribute: " + k, json_scalar_text(v));
  row("experiments run by", fmt::format("lrid {} ({})", field("lrid_version"), field("lrid_commit")));
  return s + "</table></div>\n";
}

const char* kStyle = R"(
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1280px; padding: 16px 28px; color: #1b1b1b; }
h1 { font-size: 26px; margin-bottom: 4px; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 40px; }
p.meta, p.note { color: #555; font-size: 13px; }
.table-wrap { overflow-x: auto; margin: 10px 0 18px; }
table { border-collapse: collapse; font-size: 12.5px; }
th, td { border: 1px solid #d6d6d6; padding: 3px 7px; text-align: left; vertical-align: top; }
thead th { background: #f1f3f6; }
table.provenance th { background: #f7f7f7; width: 260px; }
td.verdict { font-weight: bold; white-space: nowrap; }
td.agree { color: #176d2c; background: #eaf6ec; } td.disagree { color: #9b1c1c; background: #fbeaea; } td.partly { color: #7a5a00; background: #fdf6e3; }
.result { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; margin: 14px 0 24px; }
figure.lrid-figure { margin: 0; overflow-x: auto; max-width: 100%; }
figure.lrid-figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 12.5px; color: #444; max-width: 760px; margin-top: 4px; }
aside.tests { flex: 1 1 300px; max-width: 420px; font-size: 13px; background: #f7f9fc; border-left: 4px solid #7aa6d8; padding: 8px 12px; }
aside.tests h4 { margin: 2px 0 6px; }
aside.tests li { margin-bottom: 6px; }
#render-check { font-size: 12px; color: #555; }
)";

const char* kScript = R"(
window.addEventListener('load', function () {
  var figs = document.querySelectorAll('figure.lrid-figure');
  var ok = 0;
  figs.forEach(function (f) {
    var s = f.querySelector('svg'), good = false;
    if (s) { try { var b = s.getBBox(); good = b.width > 0 && b.height > 0 && s.querySelectorAll('rect,path,circle,text').length > 3; } catch (e) { good = false; } }
    f.setAttribute('data-rendered', good ? 'yes' : 'no');
    if (good) ok++;
  });
  document.getElementById('render-check').textContent = 'rendered ' + ok + ' of ' + figs.length + ' figures';
});
)";

// The manifests of the results directory: the paper's experiments in their
// order, then any other directory with a manifest; DataError when there is none.
std::vector<ExperimentOutput> read_experiments(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw DataError(fmt::format("{}: not a results directory", dir.string()));
  std::vector<std::string> order = experiment_names();
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && fs::exists(e.path() / "manifest.json") &&
        std::find(order.begin(), order.end(), e.path().filename().string()) == order.end())
      order.push_back(e.path().filename().string());
  std::vector<ExperimentOutput> exps;
  for (const auto& name : order)
    if (fs::exists(dir / name / "manifest.json")) exps.push_back(read_manifest(dir / name));
  if (exps.empty())
    throw DataError(fmt::format("{}: no experiment results (DIR/<experiment>/manifest.json); run lrid experiment first",
                                dir.string()));
  return exps;
}

// From <!DOCTYPE> to the render-check line, stamped with the current UTC time.
std::string page_head(const fs::path& dir) {
  const std::time_t now = std::time(nullptr);
  char stamp[64];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>lrid report: {}</title>\n"
      "<style>{}</style>\n</head>\n<body>\n<h1>Identifying learning rules from network observables: results</h1>\n"
      "<p class=\"meta\">Generated by lrid {} ({}) on {} from <code>{}</code>. The experiments reproduce Nayebi et al. "
      "2020 (arXiv 2010.11765) and the Southampton reproduction report; each result stands beside the finding it "
      "tests.</p>\n<p id=\"render-check\">figure check not run (JavaScript off)</p>\n",
      escape(dir.filename().string()), kStyle, escape(version()), escape(git_commit()), stamp, escape(dir.string()));
}

// Provenance and the findings of every experiment in one table.
std::string overview(const fs::path& dir, const std::vector<ExperimentOutput>& exps) {
  std::vector<std::pair<std::string, FindingCheck>> all_findings;
  for (const auto& e : exps)
    for (const auto& f : e.findings) all_findings.emplace_back(e.title, f);
  return "<h2>Provenance</h2>\n" + provenance_html(dir / "provenance.json") + "<h2>Findings at a glance</h2>\n" +
         findings_table(all_findings, true) +
         "<p class=\"note\">Verdicts are computed from the numbers shown with the rules stated in "
         "<code>experiments/*.cpp</code> (for example: above chance means more than 2 s.e.m. above).</p>\n";
}

// The findings an experiment tests, beside its first figure.
std::string findings_aside(const ExperimentOutput& e) {
  std::string h = "<aside class=\"tests\"><h4>What the paper found, and what we measured</h4><ul>\n";
  for (const auto& x : e.findings)
    h += fmt::format("<li><b>{}</b> <i>[{}]</i><br>{} <span class=\"verdict {}\">({})</span></li>\n", escape(x.finding),
                     escape(x.source), escape(x.measured), verdict_class(x.verdict), escape(x.verdict));
  return h + "</ul></aside>\n";
}

// Figure i of an experiment, inline, with its caption (and the findings beside the first).
std::string figure_block(const fs::path& dir, const ExperimentOutput& e, std::size_t i) {
  const auto& f = e.figures[i];
  std::string h = "<div class=\"result\">\n";
  h += fmt::format("<figure class=\"lrid-figure\" data-file=\"{}/{}\">\n{}<figcaption><b>{}.</b> {}</figcaption>\n</figure>\n",
                   escape(e.name), escape(f.file), inline_svg(dir / e.name / f.file), escape(f.title), escape(f.caption));
  if (i == 0 && !e.findings.empty()) h += findings_aside(e);
  return h + "</div>\n";
}

// An experiment's section: heading, description, notes, figures and tables.
std::string experiment_section(const fs::path& dir, const ExperimentOutput& e) {
  std::string h = fmt::format("<h2 id=\"{}\">{}</h2>\n<p>{}</p>\n<p class=\"meta\">Wall time {} · results in <code>{}/</code></p>\n",
                              escape(e.name), escape(e.title), escape(e.description), format_duration(e.wall_time_s),
                              escape(e.name));
  for (const auto& n : e.notes) h += "<p class=\"note\">Note: " + escape(n) + "</p>\n";
  for (std::size_t i = 0; i < e.figures.size(); ++i) h += figure_block(dir, e, i);
  for (const auto& t : e.tables) {
    if (!fs::exists(dir / e.name / t.file)) continue;
    h += fmt::format("<h3>{}</h3>\n", escape(t.title)) + html_table(dir / e.name / t.file, 80);
  }
  return h;
}

}  // namespace

ReportSummary write_report(const fs::path& dir, const fs::path& output) {
  const std::vector<ExperimentOutput> exps = read_experiments(dir);
  ReportSummary sum;
  std::string h = page_head(dir) + overview(dir, exps);
  for (const auto& e : exps) {
    h += experiment_section(dir, e);
    ++sum.experiments;
    sum.figures += static_cast<int>(e.figures.size());
    sum.findings += static_cast<int>(e.findings.size());
  }
  h += fmt::format("<script>{}</script>\n</body>\n</html>\n", kScript);
  if (output.has_parent_path()) ensure_directory(output.parent_path());
  write_file_atomic(output, h);
  return sum;
}

}  // namespace lrid

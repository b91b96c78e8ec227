// The HTML report: self-contained (figures inline, no external resources),
// every figure and finding present, and every figure rendered by headless
// Chromium (Debian's chromium; the test is skipped where it is not installed).
#include "report/report.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <regex>

#include "core/errors.h"
#include "core/json.h"
#include "figures/svg.h"
#include "experiments/experiment_test_data.h"
#include "figures/figure_test_util.h"
#include "test_util.h"

namespace lrid {
namespace {

using namespace testing;
using test::count_of;

std::string chromium() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (std::filesystem::exists(c)) return c;
  return "";
}

TEST(Report, SelfContainedWithEveryFigureRenderedInChromium) {
  test::TempDir t;
  SyntheticSpec s;
  s.informative = {"weightraw_median", "actraw_mean"};
  run_on(synthetic_dataset(s), t.path(), "separation", {"classifiers=[rf,svm]", "measures=[all,weight]", "splits=3"});
  run_on(synthetic_dataset(s), t.path(), "importance", {"measures=[weight,act]", "splits=3"});
  const auto html_path = t.path() / "report.html";
  ReportSummary sum = write_report(t.path() / "results", html_path);
  EXPECT_EQ(sum.experiments, 2);
  EXPECT_EQ(sum.figures, 4);  // accuracy, confusion; importance, importance per time point
  const std::string html = read_file(html_path);
  EXPECT_EQ(count_of(html, "<figure class=\"lrid-figure\""), sum.figures);
  EXPECT_GE(count_of(html, "<svg xmlns"), sum.figures);
  EXPECT_EQ(html.find("<?xml"), std::string::npos);
  // No network: the only URL is the SVG namespace.
  std::regex url("(src|href)=\"https?:");
  EXPECT_FALSE(std::regex_search(html, url));
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_NE(html.find("Findings at a glance"), std::string::npos);
  EXPECT_NE(html.find("The random forest is the best classifier"), std::string::npos);
  EXPECT_NE(html.find("lrid_commit"), std::string::npos);  // provenance

  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "no chromium: install Debian's chromium to check the rendering";
  const std::string cmd = fmt::format(
      "{} --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir={} --virtual-time-budget=10000 "
      "--dump-dom file://{} 2>/dev/null", browser, (t.path() / "profile").string(), std::filesystem::absolute(html_path).string());
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string dom;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) dom.append(buf, n);
  pclose(p);
  EXPECT_NE(dom.find(fmt::format("rendered {} of {} figures", sum.figures, sum.figures)), std::string::npos)
      << dom.substr(0, 400);
  EXPECT_EQ(count_of(dom, "data-rendered=\"yes\""), sum.figures);
}

// A results directory written by hand (no classifier runs): two experiments out of
// order on disk, one unknown to the paper, a figure, a table and a note.
void write_fake_results(const std::filesystem::path& dir) {
  for (const char* name : {"noise", "separation", "extra"}) {
    ExperimentOutput o;
    o.name = name;
    o.title = std::string("Title of ") + name;
    o.description = "what it did";
    o.figures = {{"f.svg", "A figure", "its caption"}};
    o.tables = {{"t.csv", "A table"}, {"missing.csv", "Not written"}};
    o.findings = {{std::string("finding of ") + name, "paper", "we measured", "agrees"}};
    o.notes = {"a caveat"};
    std::filesystem::create_directories(dir / name);
    write_manifest(dir / name, o);
    svg::write_svg(dir / name / "f.svg", svg::bar_chart(svg::BarChart{}));
    write_file_atomic(dir / name / "t.csv", "a,b\n1,0.123456\n");
  }
  write_json(dir / "provenance.json", {{"dataset", "d.h5"}, {"rows", 4}, {"rules", {{"adam", 2}, {"fa", 2}}}});
}

TEST(Report, SectionsInThePapersOrderWithFiguresTablesAndNotes) {
  test::TempDir t;
  write_fake_results(t.path());
  const ReportSummary sum = write_report(t.path(), t.path() / "out" / "r.html");
  EXPECT_EQ(sum.experiments, 3);
  EXPECT_EQ(sum.figures, 3);
  EXPECT_EQ(sum.findings, 3);
  const std::string html = read_file(t.path() / "out" / "r.html");
  // The paper's order (separation before noise), then the others.
  EXPECT_LT(html.find("<h2 id=\"separation\">"), html.find("<h2 id=\"noise\">"));
  EXPECT_LT(html.find("<h2 id=\"noise\">"), html.find("<h2 id=\"extra\">"));
  EXPECT_EQ(count_of(html, "<aside class=\"tests\">"), 3);
  EXPECT_EQ(count_of(html, "<h3>A table</h3>"), 3);
  EXPECT_EQ(html.find("Not written"), std::string::npos);  // a table whose file is missing is left out
  EXPECT_EQ(count_of(html, "<p class=\"note\">Note: a caveat</p>"), 3);
  EXPECT_NE(html.find("<td>0.1235</td>"), std::string::npos);
  EXPECT_NE(html.find("<tr><th>rows per rule</th><td>adam 2, fa 2</td></tr>"), std::string::npos);
  EXPECT_EQ(html.find("<?xml"), std::string::npos);
  // A figure file that is not SVG is refused, naming it.
  write_file_atomic(t.path() / "noise" / "f.svg", "not a figure");
  test::expect_error<DataError>([&] { write_report(t.path(), t.path() / "r2.html"); }, "f.svg");
}

TEST(Report, EmptyOrForeignDirectoriesAreRefused) {
  test::TempDir t;
  EXPECT_THROW(write_report(t.path(), t.path() / "r.html"), DataError);
  EXPECT_THROW(write_report(t.path() / "missing", t.path() / "r.html"), DataError);
  std::filesystem::create_directories(t.path() / "separation");
  write_file_atomic(t.path() / "separation" / "manifest.json", "{\"name\": 3}");
  EXPECT_THROW(write_report(t.path(), t.path() / "r.html"), DataError);
  EXPECT_FALSE(std::filesystem::exists(t.path() / "r.html"));
}

}  // namespace
}  // namespace lrid

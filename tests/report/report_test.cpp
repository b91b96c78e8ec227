// The HTML report: self-contained (figures inline, no external resources),
// every figure and finding present, and every figure rendered by headless
// Chromium (Debian's chromium; the test is skipped where it is not installed).
#include "report/report.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <regex>

#include "core/errors.h"
#include "experiments/experiment_test_data.h"
#include "test_util.h"

namespace lrid {
namespace {

using namespace testing;

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

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
  EXPECT_EQ(count(html, "<figure class=\"lrid-figure\""), sum.figures);
  EXPECT_GE(count(html, "<svg xmlns"), sum.figures);
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
  EXPECT_EQ(count(dom, "data-rendered=\"yes\""), sum.figures);
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

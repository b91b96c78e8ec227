// The report's tables: numbers shortened for reading, a CSV as a table with a
// note when rows are left out, verdict classes, the findings table.
#include "report/html_tables.h"

#include <gtest/gtest.h>

#include "core/files.h"
#include "figures/figure_test_util.h"
#include "test_util.h"

namespace lrid {
namespace {

using test::count_of;

TEST(HtmlTables, TidyCellShortensLongNumbersOnly) {
  EXPECT_EQ(tidy_cell("0.81234567"), "0.8123");
  EXPECT_EQ(tidy_cell("12345.678"), "12345.7");
  EXPECT_EQ(tidy_cell("0.000012344"), "1.234e-05");
  EXPECT_EQ(tidy_cell("0.0"), "0.0000");
  EXPECT_EQ(tidy_cell("42"), "42");  // integers stay as they are
  EXPECT_EQ(tidy_cell("rf"), "rf");
  EXPECT_EQ(tidy_cell("0.5;1"), "0.5;1");
}

TEST(HtmlTables, CsvAsATableWithANoteWhenCut) {
  test::TempDir t;
  write_file_atomic(t.path() / "a.csv", "name,value\nx<y,0.123456\nb,2\nc,3\n");
  const std::string all = html_table(t.path() / "a.csv", 80);
  EXPECT_EQ(count_of(all, "<tr>"), 4);  // header and three rows
  EXPECT_NE(all.find("<td>x&lt;y</td><td>0.1235</td>"), std::string::npos);
  EXPECT_EQ(all.find("class=\"note\""), std::string::npos);
  const std::string cut = html_table(t.path() / "a.csv", 2);
  EXPECT_EQ(count_of(cut, "<tr>"), 3);
  EXPECT_NE(cut.find("First 2 of 3 rows; all of them in <code>a.csv</code>."), std::string::npos);
  write_file_atomic(t.path() / "empty.csv", "");
  EXPECT_EQ(html_table(t.path() / "empty.csv", 80), "");
}

TEST(HtmlTables, VerdictsAndTheFindingsTable) {
  EXPECT_EQ(verdict_class("agrees"), "agree");
  EXPECT_EQ(verdict_class("generalises"), "agree");
  EXPECT_EQ(verdict_class("disagrees (as the original figure)"), "disagree");
  EXPECT_EQ(verdict_class("does not generalise"), "disagree");
  EXPECT_EQ(verdict_class("partly generalises"), "partly");
  EXPECT_EQ(findings_table({}, true), "");
  const std::vector<std::pair<std::string, FindingCheck>> items = {
      {"Separation", {"RF best", "report", "0.9 > 0.8", "agrees"}}};
  const std::string with = findings_table(items, true), without = findings_table(items, false);
  EXPECT_NE(with.find("<th>experiment</th>"), std::string::npos);
  EXPECT_NE(with.find("<td>Separation</td>"), std::string::npos);
  EXPECT_EQ(without.find("Separation"), std::string::npos);
  EXPECT_NE(without.find("<td class=\"verdict agree\">agrees</td>"), std::string::npos);
  EXPECT_NE(without.find("<td>0.9 &gt; 0.8</td>"), std::string::npos);
}

}  // namespace
}  // namespace lrid

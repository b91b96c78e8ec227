// CSV text (core/csv.h): cells quoted exactly when they must be (RFC 4180),
// quotes doubled, numbers in their shortest round-trip form and empty when
// non-finite, parsing of quoted commas, quotes and newlines and of a last line
// without "\n", and a table written to disk and read back.
#include "core/csv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/files.h"
#include "test_util.h"

namespace lrid {
namespace {

TEST(Csv, CellsAreQuotedExactlyWhenNeeded) {
  const std::vector<std::pair<std::string, std::string>> cells = {
      {"plain", "plain"},
      {"", ""},
      {"with space; and 'single' quotes", "with space; and 'single' quotes"},  // no quoting needed
      {"a,b", "\"a,b\""},
      {"two\nlines", "\"two\nlines\""},
      {"say \"hi\"", "\"say \"\"hi\"\"\""},
      {"\"", "\"\"\"\""}};
  for (const auto& [text, want] : cells) EXPECT_EQ(csv_cell(text), want) << text;
  EXPECT_EQ(csv_line({"a", "b,c", ""}), "a,\"b,c\",\n");
  EXPECT_EQ(csv_line({}), "\n");
}

TEST(Csv, NumbersInShortestRoundTripFormAndEmptyWhenNotFinite) {
  const std::vector<std::pair<double, std::string>> numbers = {
      {0.1, "0.1"},   {1.0, "1"}, {-2.5, "-2.5"}, {1e-5, "1e-05"},
      {0.1 + 0.2, "0.30000000000000004"},  // not rounded to 0.3
      {123456789.0, "123456789"}};
  for (const auto& [value, want] : numbers) EXPECT_EQ(csv_number(value), want);
  for (double v : {1.0 / 3.0, 2.0 / 7.0, 6.02214076e23, -2.2250738585072014e-308, 0.1 + 0.2})
    EXPECT_EQ(std::strtod(csv_number(v).c_str(), nullptr), v) << csv_number(v);
  EXPECT_EQ(csv_number(std::nan("")), "");
  EXPECT_EQ(csv_number(std::numeric_limits<double>::infinity()), "");
  EXPECT_EQ(csv_number(-std::numeric_limits<double>::infinity()), "");
}

TEST(Csv, ParsesQuotedCommasQuotesAndNewlines) {
  const auto rows = parse_csv("a,b,c\n\"x,1\",\"say \"\"hi\"\"\",\"two\nlines\"\n,,\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (CsvRow{"a", "b", "c"}));
  EXPECT_EQ(rows[1], (CsvRow{"x,1", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ(rows[2], (CsvRow{"", "", ""}));
}

TEST(Csv, LastLineWithoutNewlineCounts) {
  EXPECT_EQ(parse_csv("a,b\n1,2"), (std::vector<CsvRow>{{"a", "b"}, {"1", "2"}}));
  EXPECT_EQ(parse_csv("a,b\n1,"), (std::vector<CsvRow>{{"a", "b"}, {"1", ""}}));
  EXPECT_EQ(parse_csv("only"), (std::vector<CsvRow>{{"only"}}));
  EXPECT_TRUE(parse_csv("").empty());
  EXPECT_EQ(parse_csv("a\n").size(), 1u);  // a final newline adds no empty row
}

TEST(Csv, WriteCsvRoundTripsThroughTheFile) {
  test::TempDir dir;
  const auto path = dir.path() / "table.csv";
  const CsvRow header = {"name", "note", "value"};
  const std::vector<CsvRow> rows = {{"a", "plain", csv_number(0.25)},
                                    {"b,c", "he said \"no\"", csv_number(std::nan(""))},
                                    {"d", "line one\nline two", csv_number(-1e300)}};
  write_csv(path, header, rows);
  EXPECT_EQ(read_file(path),
            "name,note,value\n"
            "a,plain,0.25\n"
            "\"b,c\",\"he said \"\"no\"\"\",\n"
            "d,\"line one\nline two\",-1e+300\n");
  std::vector<CsvRow> want = {header};
  want.insert(want.end(), rows.begin(), rows.end());
  EXPECT_EQ(parse_csv(read_file(path)), want);
}

}  // namespace
}  // namespace lrid

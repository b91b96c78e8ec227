// CSV text as lrid writes it (tidy tables: a header, one observation per row)
// and reads it back: RFC 4180 quoting, "\n" line ends.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace lrid {

using CsvRow = std::vector<std::string>;

// A cell, quoted (with doubled quotes) when it holds a comma, a quote or a newline.
std::string csv_cell(const std::string& text);
// A number in its shortest round-trip form; empty for a non-finite value.
std::string csv_number(double v);
// Cells joined by commas (each through csv_cell), with a final newline.
std::string csv_line(const CsvRow& cells);
// Header and rows of already formatted cells, written atomically.
void write_csv(const std::filesystem::path& path, const CsvRow& header, const std::vector<CsvRow>& rows);
// Every row of a CSV text (quoted cells unquoted); a last line without "\n" counts.
std::vector<CsvRow> parse_csv(const std::string& text);

}  // namespace lrid

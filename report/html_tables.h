// The report's HTML tables: a tidy CSV file as a table (long numbers shortened
// for reading; the CSV keeps every digit) and the findings an experiment tests,
// each with its verdict coloured.
#pragma once
#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "experiments/manifest.h"

namespace lrid {

// A cell as the report shows it: a number with a fraction or exponent as
// {:.1f} (|v| >= 1000), {:.4f} (|v| >= 1e-3 or 0) or {:.3e}; anything else as it is.
std::string tidy_cell(const std::string& cell);
// The first `max_rows` rows of a CSV file (header as <thead>), and a note naming the file when rows were left out.
std::string html_table(const std::filesystem::path& csv, std::size_t max_rows);
// The CSS class of a verdict: agree (agrees..., generalises), disagree (disagrees..., does not generalise) or partly.
std::string verdict_class(const std::string& verdict);
// (experiment title, finding) pairs as a table, with an experiment column when asked; "" when there is none.
std::string findings_table(const std::vector<std::pair<std::string, FindingCheck>>& items, bool with_experiment);

}  // namespace lrid

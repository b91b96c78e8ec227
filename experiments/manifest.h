// What an experiment wrote, as DIR/<experiment>/manifest.json: its figures,
// tables and notes, and the paper's findings it tests with our measurement and
// a verdict. The experiments write it last (it marks an experiment complete);
// `lrid report` reads it back. Plain structs, no LibTorch, so the report layer
// compiles without it.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace lrid {

// A paper finding an experiment tests, with what we measured.
struct FindingCheck {
  std::string finding;   // the paper's (or report's) statement
  std::string source;    // paper | report | decision
  std::string measured;  // our numbers, in words
  std::string verdict;   // agrees | disagrees | partly | inconclusive
};

struct FigureEntry {
  std::string file, title, caption;
};

struct TableEntry {
  std::string file, title;
};

struct ExperimentOutput {
  std::string name, title, description;
  std::vector<FigureEntry> figures;
  std::vector<TableEntry> tables;
  std::vector<FindingCheck> findings;
  std::vector<std::string> notes;  // caveats (skipped parts, settings)
  double wall_time_s = 0;
};

// The experiments of the paper in the order `lrid experiment all` runs them and reports show them.
const std::vector<std::string>& experiment_names();

// Writes dir/manifest.json (atomically).
void write_manifest(const std::filesystem::path& dir, const ExperimentOutput& out);
// Reads dir/manifest.json; DataError naming the file when it is not an lrid manifest.
ExperimentOutput read_manifest(const std::filesystem::path& dir);

}  // namespace lrid

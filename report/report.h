// `lrid report RESULTS_DIR -o report.html`: one self-contained HTML page (no
// network access: figures inline as SVG, styles inline) with the dataset's
// provenance, a table of the paper's findings with our measurement and a
// verdict, and per experiment its figures, the findings each tests, its
// accuracy tables and notes. A small inline script checks, on load, that every
// figure rendered (a non-empty SVG bounding box) and writes the count into
// #render-check ("rendered N of M figures"), which the headless-Chromium test reads.
#pragma once
#include <filesystem>
#include <string>

namespace lrid {

struct ReportSummary {
  int figures = 0, experiments = 0, findings = 0;
};

// Reads RESULTS_DIR/provenance.json and RESULTS_DIR/<experiment>/manifest.json
// (every experiment present); throws DataError when there is none.
ReportSummary write_report(const std::filesystem::path& results_dir, const std::filesystem::path& output);

}  // namespace lrid

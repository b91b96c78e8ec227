// Fuzz target: CSV matrices for `lrid stats` (observables/array_io.h
// read_csv_matrix) and lrid's own CSV tables (core/csv.h parse_csv).
#include "core/csv.h"
#include "fuzz_util.h"
#include "observables/array_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lrid::fuzz;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const fs::path path = scratch() / "matrix.csv";
  write_file(path, text);
  // parse_csv accepts any text (it has no error to throw); writing its rows
  // with csv_line and parsing them again must give the same rows.
  const std::vector<lrid::CsvRow> rows = lrid::parse_csv(text);
  std::string again;
  for (const auto& r : rows) again += lrid::csv_line(r);
  if (lrid::parse_csv(again) != rows) std::abort();
  return guarded([&] { lrid::read_array(path.string()); });
}

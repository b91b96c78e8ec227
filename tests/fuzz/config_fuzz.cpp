// Fuzz target: the run configuration (training/config.h load_config). The input
// is the YAML file, then optionally kSeparator and dotted overrides, one a line.
#include <sstream>

#include "core/yaml_text.h"
#include "fuzz_util.h"
#include "training/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lrid::fuzz;
  const auto parts = split_parts(data, size, 2);
  const fs::path path = scratch() / "config.yaml";
  write_file(path, parts[0]);
  std::vector<std::string> overrides;
  if (parts.size() > 1) {
    std::istringstream lines{std::string(parts[1])};
    for (std::string line; std::getline(lines, line);) overrides.push_back(line);
  }
  return guarded([&] {
    const lrid::Config config = lrid::load_config(path.string(), overrides);
    // The resolved configuration is written as config.yaml of a run and read back on resume.
    write_file(path, lrid::yaml_block(config.to_yaml()));
    lrid::load_config(path.string());
  });
}

// Fuzz target: a sweep file (app/sweep_plan.h load_sweep). The input is the
// sweep YAML, then optionally kSeparator and the base configuration it may
// name as `base: base.yaml`, then kSeparator and dotted overrides, one a line.
#include <sstream>

#include "app/sweep_plan.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lrid::fuzz;
  const auto parts = split_parts(data, size, 3);
  const fs::path dir = scratch();
  write_file(dir / "sweep.yaml", parts[0]);
  if (parts.size() > 1) write_file(dir / "base.yaml", parts[1]);
  else fs::remove(dir / "base.yaml");
  std::vector<std::string> overrides;
  if (parts.size() > 2) {
    std::istringstream lines{std::string(parts[2])};
    for (std::string line; std::getline(lines, line);) overrides.push_back(line);
  }
  return guarded([&] {
    const lrid::SweepPlan plan = lrid::load_sweep((dir / "sweep.yaml").string(), overrides);
    lrid::shard_runs(plan, 1, 3);
  });
}

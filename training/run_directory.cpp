// Adopting and opening a run directory. See run_directory.h.
#include "training/run_directory.h"

#include <fmt/format.h>

#include <sstream>

#include "core/errors.h"
#include "core/files.h"
#include "core/run_status.h"
#include "core/yaml_text.h"

namespace lrid {
namespace {

// "" when equal, else "stored 'x' vs new 'y'" for the first differing line.
std::string first_difference(const std::string& stored, const std::string& now) {
  std::istringstream a(stored), b(now);
  std::string la, lb;
  while (true) {
    bool ga = static_cast<bool>(std::getline(a, la)), gb = static_cast<bool>(std::getline(b, lb));
    if (!ga && !gb) return "";
    if (!ga) la = "<end>";
    if (!gb) lb = "<end>";
    if (la != lb) return fmt::format("stored '{}' vs new '{}'", la, lb);
  }
}

}  // namespace

RunDirectoryState adopt_run_directory(Config& config, const std::filesystem::path& run_dir) {
  RunDirectoryState state;
  const auto config_path = run_dir / "config.yaml";
  state.existing = std::filesystem::exists(config_path);
  if (!state.existing) return state;
  YAML::Node stored;
  try {
    stored = YAML::LoadFile(config_path.string());
  } catch (const YAML::Exception& e) {
    throw IoError(fmt::format("{}: unreadable: {}", config_path.string(), e.msg));
  }
  // Drawn seeds and settings resolved from `auto` are what the run recorded.
  std::vector<std::string> adopted = config.drawn_seeds;
  adopted.insert(adopted.end(), config.auto_resolved.begin(), config.auto_resolved.end());
  for (const auto& key : adopted)
    if (stored["run"]["parameters"][key]) config.run.params.set(key, stored["run"]["parameters"][key]);
  // Both sides go through YAML text, so that node styles ({} vs block) compare equal.
  const std::string diff = first_difference(yaml_block(stored), yaml_block(YAML::Load(yaml_block(config.to_yaml()))));
  if (!diff.empty())
    throw ConfigError(fmt::format("{}: the run directory holds a run with a different configuration "
                                  "({}); choose another --out or remove it", run_dir.string(), diff));
  state.finished = status_name(run_dir) == "finished";
  return state;
}

void open_run_directory(const Config& config, const std::filesystem::path& run_dir, const RunDirectoryState& state) {
  ensure_directory(run_dir / "checkpoints");
  if (!state.existing) write_file_atomic(run_dir / "config.yaml", yaml_block(config.to_yaml()) + "\n");
}

}  // namespace lrid

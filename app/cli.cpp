// The subcommands of `lrid` and the helpers they share. See cli.h.
#include "app/cli.h"

#include <filesystem>
#include <thread>

#include "core/version.h"

namespace lrid {

void on_run(CLI::App* cmd, Action& action, Action run) {
  cmd->callback([&action, run = std::move(run)] { action = run; });
}

void add_out_and_quiet(CLI::App& cmd, std::string& out, bool& quiet, const std::string& out_help) {
  cmd.add_option("--out,-o", out, out_help);
  cmd.add_flag("--quiet,-q", quiet, "no progress output");
}

int64_t jobs_or_cores(int64_t jobs) {
  return jobs > 0 ? jobs : std::max<int64_t>(1, std::thread::hardware_concurrency());
}

std::string self_executable() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

int run_cli(int argc, char** argv) {
  CLI::App app{"lrid: identify learning rules from neural-network observables"};
  app.set_version_flag("--version", std::string(version()) + " (" + git_commit() + ")");
  app.require_subcommand(1);
  Action action;
  for (auto add : {add_training_commands, add_stats_command, add_pipeline_commands, add_analysis_commands})
    add(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return action ? action() : 0;
}

}  // namespace lrid

// The `lrid` command line (CLI11): one executable with subcommands. Each
// subcommand is a typed options struct that CLI11 fills, and a function that
// runs it; add_<name>(app, action) registers one (app/cli_*.cpp).
#pragma once
#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace lrid {

// What runs after parsing: the chosen subcommand; returns the process exit code.
using Action = std::function<int()>;

// Parses argv and runs the chosen subcommand; returns the process exit code.
// lrid::Error propagates to main, which prints it once.
int run_cli(int argc, char** argv);

// Makes `run` the action when `cmd` is the chosen subcommand (CLI11 callbacks
// fire during parsing; the action runs once parsing has succeeded).
void on_run(CLI::App* cmd, Action& action, Action run);
// The two options most subcommands share: --out,-o (with its help) and --quiet,-q.
void add_out_and_quiet(CLI::App& cmd, std::string& out, bool& quiet, const std::string& out_help);
// Concurrent jobs: `jobs` if > 0, else the machine's hardware threads.
int64_t jobs_or_cores(int64_t jobs);
// Path of the running lrid executable (sweeps start it for each run).
std::string self_executable();

// Registers subcommand `name` of `parent`: `declare` gives it its description and
// adds its options to a Command struct that CLI11 fills, and choosing it makes
// run(command) the action.
template <class Command>
void add_command(CLI::App& parent, Action& action, const std::string& name, void (*declare)(CLI::App& cmd, Command& c),
                 int (*run)(const Command& c)) {
  static Command command;  // one per subcommand; CLI11 keeps pointers to its fields
  CLI::App* cmd = parent.add_subcommand(name);
  declare(*cmd, command);
  on_run(cmd, action, [run] { return run(command); });
}

struct ExperimentOutput;
// Per experiment: its figures and findings, and the verdict of each finding (stdout).
void print_experiment_outputs(const std::vector<ExperimentOutput>& outputs, const std::filesystem::path& dir);

// The subcommands, by file: train, info, layers (cli_train); stats (cli_stats); classify,
// identify, sweep, dataset, demo (cli_pipeline); experiment, report (cli_experiment).
void add_training_commands(CLI::App& app, Action& action);
void add_stats_command(CLI::App& app, Action& action);
void add_pipeline_commands(CLI::App& app, Action& action);
void add_analysis_commands(CLI::App& app, Action& action);

}  // namespace lrid

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
void add_out_and_quiet(CLI::App* cmd, std::string& out, bool& quiet, const std::string& out_help);
// Concurrent jobs: `jobs` if > 0, else the machine's hardware threads.
int64_t jobs_or_cores(int64_t jobs);
// Path of the running lrid executable (sweeps start it for each run).
std::string self_executable();

struct ExperimentOutput;
// Per experiment: its figures and findings, and the verdict of each finding (stdout).
void print_experiment_outputs(const std::vector<ExperimentOutput>& outputs, const std::filesystem::path& dir);

void add_train(CLI::App& app, Action& action);
void add_info(CLI::App& app, Action& action);
void add_layers(CLI::App& app, Action& action);
void add_stats(CLI::App& app, Action& action);
void add_classify(CLI::App& app, Action& action);
void add_identify(CLI::App& app, Action& action);
void add_sweep(CLI::App& app, Action& action);
void add_dataset(CLI::App& app, Action& action);
void add_experiment(CLI::App& app, Action& action);
void add_report(CLI::App& app, Action& action);
void add_demo(CLI::App& app, Action& action);

}  // namespace lrid

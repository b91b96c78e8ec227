// The `lrid` command line (CLI11): one executable with subcommands.
#pragma once

namespace lrid {

// Parses argv and runs the chosen subcommand; returns the process exit code.
// lrid::Error propagates to main, which prints it once.
int run_cli(int argc, char** argv);

}  // namespace lrid

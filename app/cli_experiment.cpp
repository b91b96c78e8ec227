// Analysis subcommands: `lrid experiment` and `lrid report`.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "app/cli.h"
#include "core/errors.h"
#include "core/progress.h"
#include "experiments/experiment.h"
#include "report/report.h"

namespace lrid {
namespace fs = std::filesystem;

void print_experiment_outputs(const std::vector<ExperimentOutput>& outs, const fs::path& dir) {
  for (const auto& o : outs) {
    std::cout << fmt::format("{}: {} figures, {} findings ({}) in {}\n", o.name, o.figures.size(), o.findings.size(),
                             format_duration(o.wall_time_s), (dir / o.name).string());
    for (const auto& f : o.findings) std::cout << fmt::format("  [{}] {}\n", f.verdict, f.finding);
  }
}

namespace {

std::string experiment_list() {
  std::string s;
  const auto& reg = experiment_registry();
  for (const auto& n : reg.names())
    s += fmt::format("  {:<15} {}\n  {:<15} {}\n", n, reg.help(n), "", describe_schema(reg.schema(n)));
  return s + "  all             every experiment above, in that order\n";
}

struct ExperimentCommand {
  std::string name, dataset, out;
  std::vector<std::string> overrides;
  bool quiet = false, list = false;
};

int run_experiment_command(const ExperimentCommand& c) {
  if (c.list) {
    std::cout << experiment_list();
    return 0;
  }
  if (c.name.empty() || c.dataset.empty())
    throw ConfigError("lrid experiment NAME DATASET.h5: both are required (lrid experiment --list)");
  ExperimentRun run;
  run.name = c.name;
  run.dataset = c.dataset;
  run.out = c.out.empty() ? fs::path("results") / fs::path(c.dataset).stem() : fs::path(c.out);
  run.overrides = c.overrides;
  run.progress = !c.quiet;
  print_experiment_outputs(run_experiments(run), run.out);
  std::cout << fmt::format("results in {}; lrid report {} -o report.html\n", run.out.string(), run.out.string());
  return 0;
}

// `lrid experiment NAME DATASET.h5 [--out DIR] [key=value ...]`
void declare_experiment(CLI::App& cmd, ExperimentCommand& c) {
  cmd.description("run a paper experiment on a trajectory dataset (or all of them)");
  cmd.add_option("name", c.name, "separation, importance, subsampling, noise, generalization, or all");
  cmd.add_option("dataset", c.dataset, "trajectory dataset (HDF5)");
  cmd.add_option("overrides", c.overrides, "key=value parameters (lrid experiment --list)");
  add_out_and_quiet(cmd, c.out, c.quiet,
                    "results directory (default results/<dataset stem>); experiments write DIR/NAME/");
  cmd.add_flag("--list", c.list, "list the experiments and their parameters");
}

struct ReportCommand {
  std::string dir, output;
};

int run_report(const ReportCommand& c) {
  const fs::path out = c.output.empty() ? fs::path(c.dir) / "report.html" : fs::path(c.output);
  const ReportSummary s = write_report(c.dir, out);
  std::cout << fmt::format("{}: {} experiments, {} figures, {} findings\n", out.string(), s.experiments, s.figures,
                           s.findings);
  return 0;
}

// `lrid report RESULTS_DIR -o report.html`
void declare_report(CLI::App& cmd, ReportCommand& c) {
  cmd.description("one self-contained HTML page of an experiment results directory");
  cmd.add_option("results", c.dir, "results directory (lrid experiment --out)")->required();
  cmd.add_option("--output,-o", c.output, "the HTML file (default RESULTS/report.html)");
}


}  // namespace

void add_analysis_commands(CLI::App& app, Action& action) {
  add_command<ExperimentCommand>(app, action, "experiment", declare_experiment, run_experiment_command);
  add_command<ReportCommand>(app, action, "report", declare_report, run_report);
}

}  // namespace lrid

// Analysis subcommands: `lrid experiment`, `lrid report` and `lrid demo` (the
// README's main job: the demo sweep, its dataset, every experiment, the report).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "app/cli.h"
#include "core/errors.h"
#include "core/progress.h"
#include "app/sweep_runner.h"
#include "experiments/experiment.h"
#include "report/report.h"
#include "trajectories/dataset_builder.h"

namespace lrid {
namespace fs = std::filesystem;

namespace {

std::string experiment_list() {
  std::string s;
  const auto& reg = experiment_registry();
  for (const auto& n : reg.names())
    s += fmt::format("  {:<15} {}\n  {:<15} {}\n", n, reg.help(n), "", describe_schema(reg.schema(n)));
  return s + "  all             every experiment above, in that order\n";
}

void print_outputs(const std::vector<ExperimentOutput>& outs, const fs::path& dir) {
  for (const auto& o : outs) {
    std::cout << fmt::format("{}: {} figures, {} findings ({}) in {}\n", o.name, o.figures.size(), o.findings.size(),
                             format_duration(o.wall_time_s), (dir / o.name).string());
    for (const auto& f : o.findings) std::cout << fmt::format("  [{}] {}\n", f.verdict, f.finding);
  }
}

}  // namespace

// `lrid experiment NAME DATASET.h5 [--out DIR] [key=value ...]`
void add_experiment(CLI::App& app, std::function<int()>& action) {
  auto* cmd = app.add_subcommand("experiment", "run a paper experiment on a trajectory dataset (or all of them)");
  static std::string name, dataset, out;
  static std::vector<std::string> overrides;
  static bool quiet = false, list = false;
  cmd->add_option("name", name, "separation, importance, subsampling, noise, generalization, or all");
  cmd->add_option("dataset", dataset, "trajectory dataset (HDF5)");
  cmd->add_option("overrides", overrides, "key=value parameters (lrid experiment --list)");
  cmd->add_option("--out,-o", out, "results directory (default results/<dataset stem>); experiments write DIR/NAME/");
  cmd->add_flag("--quiet,-q", quiet, "no progress output");
  cmd->add_flag("--list", list, "list the experiments and their parameters");
  cmd->callback([&action] {
    action = [] {
      if (list) {
        std::cout << experiment_list();
        return 0;
      }
      if (name.empty() || dataset.empty())
        throw ConfigError("lrid experiment NAME DATASET.h5: both are required (lrid experiment --list)");
      ExperimentRun run;
      run.name = name;
      run.dataset = dataset;
      run.out = out.empty() ? fs::path("results") / fs::path(dataset).stem() : fs::path(out);
      run.overrides = overrides;
      run.progress = !quiet;
      print_outputs(run_experiments(run), run.out);
      std::cout << fmt::format("results in {}; lrid report {} -o report.html\n", run.out.string(), run.out.string());
      return 0;
    };
  });
}

// `lrid report RESULTS_DIR -o report.html`
void add_report(CLI::App& app, std::function<int()>& action) {
  auto* cmd = app.add_subcommand("report", "one self-contained HTML page of an experiment results directory");
  static std::string dir, output;
  cmd->add_option("results", dir, "results directory (lrid experiment --out)")->required();
  cmd->add_option("--output,-o", output, "the HTML file (default RESULTS/report.html)");
  cmd->callback([&action] {
    action = [] {
      const fs::path out = output.empty() ? fs::path(dir) / "report.html" : fs::path(output);
      ReportSummary s = write_report(dir, out);
      std::cout << fmt::format("{}: {} experiments, {} figures, {} findings\n", out.string(), s.experiments, s.figures,
                               s.findings);
      return 0;
    };
  });
}

// `lrid demo`: the demo sweep, its dataset, every experiment and the report.
void add_demo(CLI::App& app, std::function<int()>& action) {
  auto* cmd = app.add_subcommand("demo", "the whole pipeline on the demo sweep: runs, dataset, experiments, report");
  static std::string sweep = "configs/sweeps/demo.yaml", out = "out/demo";
  static std::vector<std::string> overrides;
  static int64_t jobs = 0;
  static bool quiet = false;
  cmd->add_option("--sweep", sweep, "the sweep file (default configs/sweeps/demo.yaml)");
  cmd->add_option("--out,-o", out, "output folder: runs/, dataset.h5, results/, report.html (default out/demo)");
  cmd->add_option("--jobs,-j", jobs, "concurrent runs (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("overrides", overrides, "experiment parameters key=value, after the demo's own");
  cmd->add_flag("--quiet,-q", quiet, "no progress output");
  cmd->callback([&action] {
    action = [] {
      const auto t0 = std::chrono::steady_clock::now();
      auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
      const fs::path root(out);
      // Validate everything before the first run: the sweep, and the experiment parameters.
      SweepPlan plan = load_sweep(sweep);
      // The demo's settings: the fast grids and fewer subsets, so that the whole demo
      // fits in minutes on 2 cores; key=value arguments override them.
      // The SVM at C=1 only: larger C runs liblinear's dual solver to its iteration limit.
      std::vector<std::string> params = {"grid=fast", "set=C=1", "repeats=2", "dense_k=[1,2,3,5,10,21]"};
      params.insert(params.end(), overrides.begin(), overrides.end());
      std::cout << fmt::format("lrid demo: 1/4 sweep {} ({} runs) into {}\n", sweep, plan.runs.size(),
                               (root / "runs").string());
      SweepOptions so;
      so.jobs = jobs > 0 ? jobs : std::max<int64_t>(1, std::thread::hardware_concurrency());
      so.progress = !quiet;
      SweepSummary s = run_sweep(plan, root / "runs", so, fs::read_symlink("/proc/self/exe").string());
      std::cout << fmt::format("  {} finished, {} skipped, {} failed, {} diverged ({})\n", s.finished, s.skipped,
                               s.failed, s.diverged, format_duration(s.wall_time_s));
      for (const auto& p : s.problems) std::cout << "  " << p << "\n";
      std::cout << "lrid demo: 2/4 dataset\n";
      DatasetBuildReport report;
      TrajectoryDataset d = build_dataset({(root / "runs").string()}, DatasetBuildOptions{}, &report);
      write_dataset((root / "dataset.h5").string(), d);
      std::cout << fmt::format("  {}: {} rows from {} runs\n", (root / "dataset.h5").string(), d.rows(), report.runs_used);
      std::cout << "lrid demo: 3/4 experiments\n";
      ExperimentRun run;
      run.name = "all";
      run.dataset = (root / "dataset.h5").string();
      run.out = root / "results";
      run.overrides = params;
      run.progress = !quiet;
      print_outputs(run_experiments(run), run.out);
      std::cout << "lrid demo: 4/4 report\n";
      ReportSummary rs = write_report(run.out, root / "report.html");
      std::cout << fmt::format("lrid demo: done in {}. The report ({} figures, {} findings): {}\n",
                               format_duration(elapsed()), rs.figures, rs.findings,
                               fs::absolute(root / "report.html").string());
      return 0;
    };
  });
}

}  // namespace lrid

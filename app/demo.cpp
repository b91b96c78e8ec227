// The demo pipeline. See demo.h.
#include "app/demo.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "app/cli.h"
#include "app/sweep_runner.h"
#include "core/progress.h"
#include "experiments/experiment.h"
#include "report/report.h"
#include "trajectories/dataset_builder.h"

namespace lrid {
namespace fs = std::filesystem;

std::vector<std::string> demo_experiment_parameters() {
  return {"grid=fast", "set=C=1", "repeats=2", "dense_k=[1,2,3,5,10,21]"};
}

std::vector<std::string> demo_long_parameters() {
  // One forest configuration: no inner search, so the splits run with as few as two seed groups
  // (one trains, the other tests) while the long sweep's shards arrive.
  return {"grid=fast",           "set=n_estimators=300", "set=max_features=sqrt", "rules=[adam,sgdm,ia,fa]",
          "classifiers=[rf]",    "lengths=[1,2,3,4,6,8,11,16]"};
}

namespace {

void print_problems(const std::vector<std::string>& problems) {
  for (const auto& p : problems) std::cout << "  " << p << "\n";
}

void sweep_step(const SweepPlan& plan, const DemoOptions& o, const fs::path& root) {
  std::cout << fmt::format("lrid demo: 1/4 sweep {} ({} runs) into {}\n", o.sweep, plan.runs.size(),
                           (root / "runs").string());
  SweepOptions so;
  so.jobs = jobs_or_cores(o.jobs);
  so.progress = !o.quiet;
  const SweepSummary s = run_sweep(plan, root / "runs", so, self_executable());
  std::cout << fmt::format("  {} finished, {} skipped, {} failed, {} diverged ({})\n", s.finished, s.skipped, s.failed,
                           s.diverged, format_duration(s.wall_time_s));
  print_problems(s.problems);
}

void dataset_step(const fs::path& root) {
  std::cout << "lrid demo: 2/4 dataset\n";
  DatasetBuildReport report;
  const TrajectoryDataset d = build_dataset({(root / "runs").string()}, DatasetBuildOptions{}, &report);
  write_dataset((root / "dataset.h5").string(), d);
  std::cout << fmt::format("  {}: {} rows from {} runs\n", (root / "dataset.h5").string(), d.rows(), report.runs_used);
}

void experiments_step(const DemoOptions& o, const fs::path& root) {
  std::cout << "lrid demo: 3/4 experiments\n";
  ExperimentRun run;
  run.name = "all";
  run.dataset = (root / "dataset.h5").string();
  run.out = root / "results";
  run.overrides = demo_experiment_parameters();
  run.overrides.insert(run.overrides.end(), o.overrides.begin(), o.overrides.end());
  run.progress = !o.quiet;
  print_experiment_outputs(run_experiments(run), run.out);
}

// The demo's own runs take 48 steps, too few for B to leave its initialisation
// (FINDINGS.md); the committed long runs (3,000 steps) show what longer
// training gives. Separation and prefix on their four paper rules.
void long_step(const DemoOptions& o, const fs::path& root) {
  std::cout << fmt::format("lrid demo: and the committed long runs ({}): separation and prefix on the four paper "
                           "rules\n", o.long_dataset);
  const auto t0 = std::chrono::steady_clock::now();
  const fs::path dir = root / "long";
  ExperimentRun run;
  run.name = "separation,prefix";
  run.dataset = o.long_dataset;
  run.out = dir / "results";
  run.overrides = demo_long_parameters();
  // The user's settings after the demo's, where these two experiments take them.
  for (const auto& kv : o.overrides)
    if (experiments_take(run.name, kv.substr(0, kv.find('=')))) run.overrides.push_back(kv);
  run.progress = !o.quiet;
  print_experiment_outputs(run_experiments(run), run.out);
  const ReportSummary rs = write_report(run.out, dir / "report.html");
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << fmt::format(
      "lrid demo: the two reports\n  short runs (this demo's own sweep, {}): {}\n  long runs (the committed {}, 3,000 "
      "steps per run; {} figures, {} findings, {}): {}\n",
      o.sweep, fs::absolute(root / "report.html").string(), o.long_dataset, rs.figures, rs.findings,
      format_duration(elapsed), fs::absolute(dir / "report.html").string());
}

}  // namespace

int run_demo(const DemoOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const fs::path root(o.out);
  // Validate the sweep before the first run.
  const SweepPlan plan = load_sweep(o.sweep);
  sweep_step(plan, o, root);
  dataset_step(root);
  experiments_step(o, root);
  std::cout << "lrid demo: 4/4 report\n";
  const ReportSummary rs = write_report(root / "results", root / "report.html");
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << fmt::format("lrid demo: done in {}. The report ({} figures, {} findings): {}\n", format_duration(elapsed),
                           rs.figures, rs.findings, fs::absolute(root / "report.html").string());
  if (!o.long_dataset.empty() && fs::exists(o.long_dataset)) long_step(o, root);
  return 0;
}

}  // namespace lrid

// Pipeline subcommands: `lrid sweep` (runs), `lrid dataset` (collated
// trajectories), `lrid classify` (the evaluation protocol), `lrid identify`
// (a saved classifier applied to new trajectories) and `lrid demo` (all of it
// on the demo sweep, then the experiments and the report: app/demo.h).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "app/cli.h"
#include "app/demo.h"
#include "app/sweep_runner.h"
#include "classifiers/protocol.h"
#include "classifiers/registry.h"
#include "classifiers/saved_classifier.h"
#include "core/errors.h"
#include "core/files.h"
#include "trajectories/dataset_builder.h"
#include "trajectories/dataset_summary.h"

namespace lrid {
namespace fs = std::filesystem;

namespace {

struct ClassifyCommand {
  std::string dataset, out, save_model;
  std::vector<std::string> sets;
  ProtocolOptions protocol;
  bool quiet = false;
};

int run_classify(const ClassifyCommand& c) {
  ProtocolOptions o = c.protocol;
  o.progress = !c.quiet;
  for (const auto& s : c.sets) o.set.insert(parse_grid_override(s, "--set"));
  classifier_grid(o.classifier, o.grid, 21, o.set);  // validate the grid before reading data
  const TrajectoryDataset data = read_dataset(c.dataset);
  const ProtocolResult r = run_protocol(data, o);
  const fs::path dir = c.out.empty()
                           ? fs::path("results") / fmt::format("{}_{}", fs::path(c.dataset).stem().string(), o.classifier)
                           : fs::path(c.out);
  write_results(r, data, dir);
  std::cout << fmt::format("{} on {} ({} rows, {} observables, {} rules): test accuracy {:.4f} ± {:.4f} (s.e.m., {} "
                           "splits); results in {}\n",
                           o.classifier, c.dataset, data.rows(), r.observables.size(), r.class_names.size(),
                           r.accuracy_mean, r.accuracy_sem, r.splits.size(), dir.string());
  if (!c.save_model.empty()) {
    const SavedClassifier saved = fit_final_classifier(data, r);
    save_classifier(c.save_model, saved);
    std::cout << fmt::format("saved the classifier ({}) to {}\n", config_text(saved.config), c.save_model);
  }
  return 0;
}

// `lrid classify DATASET.h5 --classifier NAME ...` (a name of classifier_registry())
void declare_classify(CLI::App& cmd, ClassifyCommand& c) {
  cmd.description("identify learning rules: the cross-validated protocol on a dataset");
  ProtocolOptions& p = c.protocol;
  cmd.add_option("dataset", c.dataset, "trajectory dataset (HDF5)")->required();
  const auto names = classifier_registry().names();
  cmd.add_option("--classifier,-c", p.classifier, fmt::format("{}", fmt::join(names, ", ")))->check(CLI::IsMember(names));
  cmd.add_option("--observables", p.observables, "all (24 admissible), all45, weight, act, grad, or NAME,NAME,...");
  cmd.add_option("--splits", p.splits, "outer train/test splits")->check(CLI::PositiveNumber);
  cmd.add_option("--grid", p.grid, "paper or fast")->check(CLI::IsMember({"paper", "fast"}));
  cmd.add_option("--group-by", p.group_by,
                 "what a split keeps whole: seed (runs sharing model and data seed; default), run, or row (the "
                 "paper's protocol, which leaks between seed-matched runs)")
      ->check(CLI::IsMember({"row", "run", "seed"}));
  cmd.add_option("--set", c.sets, "fix a grid axis: KEY=V1,V2 (e.g. n_estimators=100)");
  cmd.add_option("--seed", p.seed, "seed of the splits and the classifiers");
  cmd.add_option("--jobs", p.n_jobs, "random-forest threads (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd.add_option("--stat-noise-var", p.stat_noise_var, "Gaussian noise of this variance on the statistics (report variant)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_flag("--drop-nonfinite", p.drop_nonfinite, "drop rows with non-finite selected values (counted per rule)");
  add_out_and_quiet(cmd, c.out, c.quiet, "results directory (default: results/<dataset>_<classifier>)");
  cmd.add_option("--save-model", c.save_model, "also fit on every row and save the classifier here");
}

struct IdentifyCommand {
  std::string model, dataset, out;
};

int run_identify(const IdentifyCommand& c) {
  const SavedClassifier saved = load_classifier(c.model);
  const TrajectoryDataset data = read_dataset(c.dataset);
  const torch::Tensor s = classify_rows(saved, data);
  // Probabilities (forest votes, Conv1D softmax) as they are; decision values (SVM) through a softmax.
  const torch::Tensor p = classifier_spec(saved.classifier).probabilistic ? s : torch::softmax(s, 1);
  auto [prob, pred] = p.max(1);
  const MetaColumn* run = data.meta.count("run_id") ? &data.meta.at("run_id") : nullptr;
  const MetaColumn* layer = data.meta.count("layer") ? &data.meta.at("layer") : nullptr;
  std::string table = "row,run_id,layer,predicted,probability,recorded\n";
  int64_t correct = 0, known = 0;
  for (int64_t i = 0; i < data.rows(); ++i) {
    const std::string& predicted = saved.class_names[static_cast<std::size_t>(pred[i].item<int64_t>())];
    const std::string& truth = data.y[static_cast<std::size_t>(i)];
    table += fmt::format("{},{},{},{},{:.4f},{}\n", i, run ? run->as_string(i) : "", layer ? layer->as_string(i) : "",
                         predicted, prob[i].item<double>(), truth);
    if (std::find(saved.class_names.begin(), saved.class_names.end(), truth) != saved.class_names.end()) {
      ++known;
      correct += predicted == truth;
    }
  }
  std::cout << table;
  if (known > 0)
    std::cerr << fmt::format("{} of {} rows carry a known rule label: {:.4f} identified correctly\n", known,
                             data.rows(), static_cast<double>(correct) / static_cast<double>(known));
  if (!c.out.empty()) write_file_atomic(c.out, table);
  return 0;
}

// `lrid identify --model FILE DATASET.h5`: each row's predicted rule.
void declare_identify(CLI::App& cmd, IdentifyCommand& c) {
  cmd.add_option("--model,-m", c.model, "a classifier saved by lrid classify --save-model")->required();
  cmd.add_option("dataset", c.dataset, "trajectory dataset (HDF5) with the classifier's observables")->required();
  cmd.add_option("--out,-o", c.out, "also write the table as CSV here");
  cmd.description("apply a saved classifier to new trajectories");
}

struct SweepCommand {
  std::string config, shard, out;
  std::vector<std::string> overrides;
  int64_t jobs = 0;
  bool quiet = false, dry = false;
};

int run_sweep_command(const SweepCommand& c) {
  const SweepPlan plan = load_sweep(c.config, c.overrides);
  const auto [i, n] = parse_shard(c.shard);
  if (c.dry) {
    for (const auto& r : shard_runs(plan, i, n))
      std::cout << r.name << "  " << fmt::format("{}", fmt::join(r.overrides, " ")) << "\n";
    return 0;
  }
  SweepOptions o;
  o.jobs = jobs_or_cores(c.jobs);
  o.shard = i;
  o.shards = n;
  o.progress = !c.quiet;
  const fs::path dir = c.out.empty() ? fs::path("runs") / fs::path(c.config).stem() : fs::path(c.out);
  const SweepSummary s = run_sweep(plan, dir, o, self_executable());
  std::cout << fmt::format("sweep {} (shard {}/{}): {} finished, {} skipped (already finished), {} failed, {} "
                           "diverged; wall time {:.1f} s\n",
                           dir.string(), i, n, s.finished, s.skipped, s.failed, s.diverged, s.wall_time_s);
  for (const auto& p : s.problems) std::cout << "  " << p << "\n";
  return s.failed > 0 ? 1 : 0;
}

// `lrid sweep CONFIG [key=value ...] [--jobs N] [--shard I/N] [--out DIR]`.
void declare_sweep(CLI::App& cmd, SweepCommand& c) {
  cmd.description("run every run of a sweep grid (resumable, parallel, shardable)");
  cmd.add_option("config", c.config, "sweep file (YAML: base, grid, overrides, set)")->required();
  cmd.add_option("overrides", c.overrides, "dotted overrides applied to every run");
  cmd.add_option("--jobs,-j", c.jobs, "concurrent runs, one thread each (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd.add_option("--shard", c.shard, "I/N: run only runs i with i mod N = I (default: SLURM_ARRAY_TASK_ID/COUNT)");
  add_out_and_quiet(cmd, c.out, c.quiet, "sweep directory (default: runs/<sweep name>)");
  cmd.add_flag("--dry-run", c.dry, "list the runs and exit");
}

struct DatasetBuildCommand {
  std::vector<std::string> roots, conditions, attrs;
  std::string output;
  bool all45 = false;
};

int run_dataset_build(const DatasetBuildCommand& c) {
  DatasetBuildOptions o;
  o.all45 = c.all45;
  o.conditions = c.conditions;
  for (const auto& a : c.attrs) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) throw ConfigError(fmt::format("--attr '{}': expected KEY=VALUE", a));
    o.attributes[a.substr(0, eq)] = a.substr(eq + 1);
  }
  DatasetBuildReport report;
  const TrajectoryDataset d = build_dataset(c.roots, o, &report);
  write_dataset(c.output, d);
  std::cout << fmt::format("{}: {} rows from {} of {} runs, T = {}, K = {}\n", c.output, d.rows(), report.runs_used,
                           report.runs_found, d.time_points(), d.obs_keys.size());
  if (!report.dropped_observables.empty())
    std::cout << fmt::format("dropped {} observables that are not finite in every model of the original "
                             "(every skew and kurtosis, weightsq_norm, weightsq_var, act var, actsq_*); "
                             "--all45 keeps them\n", report.dropped_observables.size());
  for (const auto& s : report.skipped) std::cout << "skipped " << s << "\n";
  return 0;
}

// `lrid dataset build RUN_DIR... -o dataset.h5` and `lrid dataset info FILE`.
void declare_dataset_build(CLI::App& cmd, DatasetBuildCommand& c) {
  cmd.description("collate finished runs (sweep or run directories) into dataset.h5");
  cmd.add_option("dirs", c.roots, "sweep or run directories")->required();
  cmd.add_option("--output,-o", c.output, "the dataset file to write (HDF5)")->required();
  cmd.add_flag("--all45", c.all45, "keep all 45 observables (default: the 24 admissible)");
  cmd.add_option("--conditions", c.conditions, "measurement conditions to include (default: all)")->delimiter(',');
  cmd.add_option("--attr", c.attrs, "KEY=VALUE provenance stored as a file attribute (repeatable)");
}

struct DatasetInfoCommand {
  std::string file;
};

int run_dataset_info(const DatasetInfoCommand& c) {
  std::cout << dataset_summary(read_dataset(c.file));
  return 0;
}

void declare_dataset_info(CLI::App& cmd, DatasetInfoCommand& c) {
  cmd.description("summarise a trajectory dataset");
  cmd.add_option("file", c.file, "dataset (HDF5)")->required();
}

// `lrid demo`: the demo sweep, its dataset, every experiment and the report.
void declare_demo(CLI::App& cmd, DemoOptions& o) {
  cmd.description("the whole pipeline on the demo sweep: runs, dataset, experiments, report");
  cmd.add_option("--sweep", o.sweep, "the sweep file (default configs/sweeps/demo.yaml)");
  add_out_and_quiet(cmd, o.out, o.quiet, "output folder: runs/, dataset.h5, results/, report.html (default out/demo)");
  cmd.add_option("--jobs,-j", o.jobs, "concurrent runs (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd.add_option("overrides", o.overrides, "experiment parameters key=value, after the demo's own");
}

}  // namespace

void add_pipeline_commands(CLI::App& app, Action& action) {
  add_command<ClassifyCommand>(app, action, "classify", declare_classify, run_classify);
  add_command<IdentifyCommand>(app, action, "identify", declare_identify, run_identify);
  add_command<SweepCommand>(app, action, "sweep", declare_sweep, run_sweep_command);
  CLI::App* dataset = app.add_subcommand("dataset", "collate runs into a trajectory dataset, or summarise one");
  dataset->require_subcommand(1);
  add_command<DatasetBuildCommand>(*dataset, action, "build", declare_dataset_build, run_dataset_build);
  add_command<DatasetInfoCommand>(*dataset, action, "info", declare_dataset_info, run_dataset_info);
  add_command<DemoOptions>(app, action, "demo", declare_demo, run_demo);
}

}  // namespace lrid

// Pipeline subcommands: `lrid sweep` (runs), `lrid dataset` (collated
// trajectories), `lrid classify` (the evaluation protocol), `lrid identify`
// (a saved classifier applied to new trajectories) and `lrid demo` (all of it
// on the demo sweep, then the experiments and the report: app/demo.h).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "app/cli.h"
#include "app/demo.h"
#include "app/device_pool.h"
#include "app/stop_signal.h"
#include "app/sweep_runner.h"
#include "classifiers/run_vote.h"
#include "classifiers/prefix_classifiers.h"
#include "classifiers/protocol.h"
#include "classifiers/registry.h"
#include "classifiers/saved_classifier.h"
#include "core/csv.h"
#include "core/errors.h"
#include "core/run_status.h"
#include "experiments/selection.h"
#include "rules/rule.h"
#include "core/files.h"
#include "trajectories/dataset_builder.h"
#include "trajectories/dataset_merge.h"
#include "trajectories/dataset_summary.h"

namespace lrid {
namespace fs = std::filesystem;

namespace {

struct ClassifyCommand {
  std::string dataset, out, save_model;
  std::vector<std::string> sets, rules, where;
  ProtocolOptions protocol;
  bool quiet = false, prefixes = false;
  std::vector<int64_t> prefix_lengths;
};

// "KEY=VALUE" split at the first '='; ConfigError naming the flag when there is no key.
std::pair<std::string, std::string> key_value(const std::string& s, const std::string& flag) {
  const auto eq = s.find('=');
  if (eq == std::string::npos || eq == 0) throw ConfigError(fmt::format("{} '{}': expected KEY=VALUE", flag, s));
  return {s.substr(0, eq), s.substr(eq + 1)};
}

// The rows of --rules (canonical names) that match every --where KEY=VALUE.
TrajectoryDataset selected_rows(const ClassifyCommand& c, const TrajectoryDataset& all) {
  std::vector<std::string> rules;
  for (const auto& r : c.rules) rules.push_back(canonical_rule(r));
  return select_where(select_rules(all, rules, c.dataset), c.where, c.dataset);
}

// --prefixes: the protocol on every prefix, one line each, and (with --save-model) the prefix classifiers.
int run_classify_prefixes(const ClassifyCommand& c, const ProtocolOptions& o, const TrajectoryDataset& data) {
  prefix_lengths(c.prefix_lengths, data.time_points());  // check before any compute
  std::vector<std::vector<std::string>> rows;
  const PrefixClassifiers p = fit_prefix_classifiers(data, o, c.prefix_lengths, [&](int64_t k, const ProtocolResult& r) {
    const double epoch = data.time_epochs[k - 1].item<double>();
    std::cout << fmt::format("{} on the first {} of {} points (to epoch {:.2f}): test accuracy {:.4f} ± {:.4f}\n",
                             o.classifier, k, data.time_points(), epoch, r.accuracy_mean, r.accuracy_sem);
    rows.push_back({std::to_string(k), csv_number(prefix_fraction(data, k)), csv_number(epoch),
                    csv_number(r.accuracy_mean), csv_number(r.accuracy_sem)});
  });
  if (!c.out.empty()) {
    ensure_directory(c.out);
    write_csv(fs::path(c.out) / "prefix_accuracy.csv", {"k", "fraction", "epoch", "accuracy_mean", "accuracy_sem"},
              rows);
  }
  if (!c.save_model.empty()) {
    save_prefix_classifiers(c.save_model, p);
    std::cout << fmt::format("saved {} prefix classifiers to {}\n", p.lengths.size(), c.save_model);
  }
  return 0;
}

int run_classify(const ClassifyCommand& c) {
  ProtocolOptions o = c.protocol;
  o.progress = !c.quiet;
  for (const auto& s : c.sets) o.set.insert(parse_grid_override(s, "--set"));
  classifier_grid(o.classifier, o.grid, 21, o.set);  // validate the grid before reading data
  if (!c.prefix_lengths.empty() && !c.prefixes)
    throw ConfigError("--prefix-lengths needs --prefixes");
  const TrajectoryDataset data = selected_rows(c, read_dataset(c.dataset));
  if (c.prefixes) return run_classify_prefixes(c, o, data);
  const ProtocolResult r = run_protocol(data, o);
  const fs::path dir = c.out.empty()
                           ? fs::path("results") / fmt::format("{}_{}", fs::path(c.dataset).stem().string(), o.classifier)
                           : fs::path(c.out);
  write_results(r, data, dir);
  std::cout << fmt::format("{} on {} ({} rows, {} observables, {} rules): test accuracy {:.4f} ± {:.4f} (s.e.m., {} "
                           "splits); results in {}\n",
                           o.classifier, c.dataset, data.rows(), r.observables.size(), r.class_names.size(),
                           r.accuracy_mean, r.accuracy_sem, r.splits.size(), dir.string());
  if (has_run_ids(data)) {
    const RunVoteResult v = run_vote(r, data);
    std::cout << fmt::format("  runs named by a vote of their layers (run_vote.h): accuracy {:.4f} ± {:.4f}, {} test "
                             "runs per split\n",
                             v.accuracy_mean, v.accuracy_sem, v.runs.empty() ? 0 : v.runs.front());
  }
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
  cmd.add_option("--rules", c.rules, "only the rows of these rules (e.g. fa,ia)")->delimiter(',');
  cmd.add_option("--where", c.where, "only the rows whose meta column KEY equals VALUE (repeatable; e.g. "
                                     "architecture=knet)");
  cmd.add_option("--seed", p.seed, "seed of the splits and the classifiers");
  cmd.add_option("--jobs", p.n_jobs, "random-forest threads (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd.add_option("--stat-noise-var", p.stat_noise_var, "Gaussian noise of this variance on the statistics (report variant)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_flag("--drop-nonfinite", p.drop_nonfinite, "drop rows with non-finite selected values (counted per rule)");
  add_out_and_quiet(cmd, c.out, c.quiet, "results directory (default: results/<dataset>_<classifier>)");
  cmd.add_option("--save-model", c.save_model, "also fit on every row and save the classifier here");
  cmd.add_flag("--prefixes", c.prefixes,
               "run the protocol on every trajectory prefix (the first k points, k = 1..T) instead; --save-model "
               "then saves one classifier per prefix, for lrid identify RUN_DIR --follow");
  cmd.add_option("--prefix-lengths", c.prefix_lengths, "with --prefixes: only these k (ascending)")->delimiter(',');
}

struct IdentifyCommand {
  std::string model, dataset, out, condition = "full";
  bool follow = false;
  double interval_s = 5.0, timeout_s = 0.0;
};

// Probabilities [N, classes]: forest votes and Conv1D softmax as they are; SVM decision values through a softmax.
torch::Tensor probabilities(const SavedClassifier& saved, const TrajectoryDataset& data) {
  const torch::Tensor s = classify_rows(saved, data);
  return classifier_spec(saved.classifier).probabilistic ? s : torch::softmax(s, 1);
}

int identify_dataset(const IdentifyCommand& c, const SavedClassifier& saved) {
  const TrajectoryDataset data = read_dataset(c.dataset);
  auto [prob, pred] = probabilities(saved, data).max(1);
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

// One line of `identify RUN_DIR`: the run's rule probabilities (the mean over its
// layers' rows) from the classifier of the longest prefix it has recorded.
struct RunReading {
  int64_t points = 0, of = 0;
  std::string line, csv;  // "" while no classifier applies yet
};

RunReading read_run_rule(const IdentifyCommand& c, const PrefixClassifiers& p, const std::string& status) {
  const TrajectoryDataset d = read_run_so_far(c.dataset, c.condition, /*all45=*/true);
  RunReading r;
  r.points = d.time_points();
  r.of = std::stoll(d.attributes.at("run_points"));
  const int64_t i = d.rows() > 0 ? p.for_points(r.points) : -1;
  if (i < 0) return r;
  const SavedClassifier& saved = p.classifiers[static_cast<std::size_t>(i)];
  const torch::Tensor mean = probabilities(saved, d).mean(0);
  const int64_t best = mean.argmax().item<int64_t>();
  std::string probs, csv_probs;
  for (std::size_t k = 0; k < saved.class_names.size(); ++k) {
    probs += fmt::format("  {} {:.3f}", saved.class_names[k], mean[static_cast<int64_t>(k)].item<double>());
    csv_probs += "," + csv_number(mean[static_cast<int64_t>(k)].item<double>());
  }
  const double acc = p.accuracy[static_cast<std::size_t>(i)];
  const double epoch = d.time_epochs[r.points - 1].item<double>();
  r.line = fmt::format("point {}/{} (epoch {:.2f}, {}):{}  -> {}{}", r.points, r.of, epoch, status, probs,
                       saved.class_names[static_cast<std::size_t>(best)],
                       std::isfinite(acc) ? fmt::format("  (prefix {}: held-out accuracy {:.3f})", p.lengths[i], acc)
                                          : std::string());
  r.csv = fmt::format("{},{},{}{},{}", r.points, csv_number(epoch), p.lengths[i], csv_probs,
                      saved.class_names[static_cast<std::size_t>(best)]);
  return r;
}

// `identify RUN_DIR [--follow]`: the rule of a run, finished or still training.
int identify_run(const IdentifyCommand& c, const PrefixClassifiers& p) {
  const auto& names = p.classifiers.front().class_names;
  std::string table = fmt::format("points,epoch,prefix,{},predicted\n", fmt::join(names, ","));
  int64_t shown = -1;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    // The status first: a run that reads as finished has written its last record.
    std::string status = status_name(c.dataset);
    if (status.empty()) status = "no status";
    const RunReading r = read_run_rule(c, p, status);
    if (r.points != shown) {
      if (!r.line.empty()) {
        std::cout << r.line << std::endl;
        table += r.csv + "\n";
      } else {
        std::cout << fmt::format("point {}/{} ({}): no classifier for so few points yet (the shortest reads {})",
                                 r.points, r.of, status, p.lengths.front())
                  << std::endl;
      }
      shown = r.points;
    }
    const bool done = status != "running" || r.points >= r.of;
    if (!c.follow || done) break;
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (c.timeout_s > 0 && waited >= c.timeout_s) {
      std::cerr << fmt::format("stopped following after {:.0f} s (--timeout)\n", waited);
      break;
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(c.interval_s));
  }
  if (!c.out.empty()) write_file_atomic(c.out, table);
  return 0;
}

int run_identify(const IdentifyCommand& c) {
  const PrefixClassifiers p = load_prefix_classifiers(c.model);
  if (fs::is_directory(c.dataset)) return identify_run(c, p);
  if (c.follow) throw ConfigError(fmt::format("--follow needs a run directory; {} is a file", c.dataset));
  return identify_dataset(c, p.classifiers.back());
}

// `lrid identify --model FILE DATASET.h5|RUN_DIR [--follow]`.
void declare_identify(CLI::App& cmd, IdentifyCommand& c) {
  cmd.add_option("--model,-m", c.model,
                 "a classifier saved by lrid classify --save-model (with --prefixes: one per prefix length)")
      ->required();
  cmd.add_option("dataset", c.dataset,
                 "a trajectory dataset (HDF5): each row's rule; or a run directory, finished or still training: "
                 "its rule from the records written so far")
      ->required();
  cmd.add_option("--out,-o", c.out, "also write the table as CSV here");
  cmd.add_flag("--follow,-f", c.follow, "with a run directory: print a new line as each record arrives, until the "
                                        "run stops");
  cmd.add_option("--interval", c.interval_s, "seconds between checks with --follow")->check(CLI::PositiveNumber);
  cmd.add_option("--timeout", c.timeout_s, "stop following after this many seconds (0: when the run stops)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--condition", c.condition, "the run's recorded measurement condition to read (default full)");
  cmd.description("apply a saved classifier to new trajectories, or to a run as it trains");
}

struct SweepCommand {
  std::string config, shard, out, devices;
  std::vector<std::string> overrides;
  int64_t jobs = 0, gpus_per_run = 1;
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
  o.devices = parse_device_list(c.devices);
  o.gpus_per_run = c.gpus_per_run;
  const fs::path dir = c.out.empty() ? fs::path("runs") / fs::path(c.config).stem() : fs::path(c.out);
  o.stop_requested = &install_stop_signal();
  const SweepSummary s = run_sweep(plan, dir, o, self_executable());
  std::cout << fmt::format("sweep {} (shard {}/{}): {} finished, {} skipped (already finished), {} failed, {} "
                           "diverged; wall time {:.1f} s\n",
                           dir.string(), i, n, s.finished, s.skipped, s.failed, s.diverged, s.wall_time_s);
  for (const auto& p : s.problems) std::cout << "  " << p << "\n";
  if (s.interrupted > 0 || s.not_started > 0) {
    std::cout << fmt::format("stopped by SIGTERM: {} run(s) interrupted, {} not started; run the same command to "
                             "go on\n", s.interrupted, s.not_started);
    return kExitInterrupted;
  }
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
  cmd.add_option("--devices", c.devices, "CUDA devices to share out, e.g. 0,1,2,3: each concurrent run gets its own "
                                         "(CUDA_VISIBLE_DEVICES), at most --jobs at a time");
  cmd.add_option("--gpus-per-run", c.gpus_per_run, "with --devices: devices per run; above 1 each run trains "
                                                   "data-parallel (--nproc), one rank per device")
      ->check(CLI::PositiveNumber);
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
    const auto [key, value] = key_value(a, "--attr");
    o.attributes[key] = value;
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

// `lrid dataset merge A.h5 B.h5 ... -o OUT.h5`: the shards of a sweep, collated one by one, into one file.
struct DatasetMergeCommand {
  std::vector<std::string> files;
  std::string output;
};

int run_dataset_merge(const DatasetMergeCommand& c) {
  std::vector<TrajectoryDataset> parts;
  for (const auto& f : c.files) parts.push_back(read_dataset(f));
  const TrajectoryDataset d = merge_datasets(parts, c.files);
  write_dataset(c.output, d);
  std::cout << fmt::format("{}: {} rows from {} datasets ({} runs), T = {}, K = {}\n", c.output, d.rows(),
                           parts.size(), d.attributes.at("runs"), d.time_points(), d.obs_keys.size());
  return 0;
}

void declare_dataset_merge(CLI::App& cmd, DatasetMergeCommand& c) {
  cmd.description("merge datasets (e.g. a sweep's shards) into one: rows concatenated, every run once");
  cmd.add_option("files", c.files, "datasets (HDF5) with the same observables, time points and metadata")
      ->required()->check(CLI::ExistingFile);
  cmd.add_option("--output,-o", c.output, "the merged dataset to write (HDF5)")->required();
}

// `lrid demo`: the demo sweep, its dataset, every experiment and the report.
void declare_demo(CLI::App& cmd, DemoOptions& o) {
  cmd.description("the whole pipeline on the demo sweep: runs, dataset, experiments, report");
  cmd.add_option("--sweep", o.sweep, "the sweep file (default configs/sweeps/demo.yaml)");
  add_out_and_quiet(cmd, o.out, o.quiet, "output folder: runs/, dataset.h5, results/, report.html (default out/demo)");
  cmd.add_option("--jobs,-j", o.jobs, "concurrent runs (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd.add_option("overrides", o.overrides, "experiment parameters key=value, after the demo's own");
  cmd.add_option("--long-dataset", o.long_dataset,
                 "the committed long runs, also analysed when the file exists ('' to skip; default data/long/dataset.h5)");
}

}  // namespace

void add_pipeline_commands(CLI::App& app, Action& action) {
  add_command<ClassifyCommand>(app, action, "classify", declare_classify, run_classify);
  add_command<IdentifyCommand>(app, action, "identify", declare_identify, run_identify);
  add_command<SweepCommand>(app, action, "sweep", declare_sweep, run_sweep_command);
  CLI::App* dataset = app.add_subcommand("dataset", "collate runs into a trajectory dataset, or summarise one");
  dataset->require_subcommand(1);
  add_command<DatasetBuildCommand>(*dataset, action, "build", declare_dataset_build, run_dataset_build);
  add_command<DatasetMergeCommand>(*dataset, action, "merge", declare_dataset_merge, run_dataset_merge);
  add_command<DatasetInfoCommand>(*dataset, action, "info", declare_dataset_info, run_dataset_info);
  add_command<DemoOptions>(app, action, "demo", declare_demo, run_demo);
}

}  // namespace lrid

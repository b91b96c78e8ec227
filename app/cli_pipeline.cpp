// Pipeline subcommands: `lrid classify`, `lrid identify`, `lrid sweep` and `lrid dataset`.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "classifiers/protocol.h"
#include "classifiers/registry.h"
#include "classifiers/saved_classifier.h"
#include "app/sweep_runner.h"
#include "trajectories/dataset_builder.h"
#include "app/cli.h"
#include "core/errors.h"
#include "core/files.h"

namespace lrid {
namespace fs = std::filesystem;

// `lrid classify DATASET.h5 --classifier NAME ...` (a name of classifier_registry())
void add_classify(CLI::App& app, std::function<int()>& action) {
  auto* cmd = app.add_subcommand("classify", "identify learning rules: the cross-validated protocol on a dataset");
  static std::string dataset, classifier = ProtocolOptions{}.classifier, observables = "all", grid = "paper", out, save_model;
  static std::vector<std::string> sets;
  static int64_t splits = 10, seed = 0, jobs = 0;
  static bool drop = false, quiet = false;
  static double noise_var = 0;
  cmd->add_option("dataset", dataset, "trajectory dataset (HDF5)")->required();
  const auto names = classifier_registry().names();
  cmd->add_option("--classifier,-c", classifier, fmt::format("{}", fmt::join(names, ", ")))->check(CLI::IsMember(names));
  cmd->add_option("--observables", observables, "all (24 admissible), all45, weight, act, grad, or NAME,NAME,...");
  cmd->add_option("--splits", splits, "outer train/test splits")->check(CLI::PositiveNumber);
  cmd->add_option("--grid", grid, "paper or fast")->check(CLI::IsMember({"paper", "fast"}));
  cmd->add_option("--set", sets, "fix a grid axis: KEY=V1,V2 (e.g. n_estimators=100)");
  cmd->add_option("--seed", seed, "seed of the splits and the classifiers")->check(CLI::NonNegativeNumber);
  cmd->add_option("--jobs", jobs, "random-forest threads (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--stat-noise-var", noise_var, "Gaussian noise of this variance on the statistics (report variant)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--drop-nonfinite", drop, "drop rows with non-finite selected values (counted per rule)");
  cmd->add_option("--out,-o", out, "results directory (default: results/<dataset>_<classifier>)");
  cmd->add_option("--save-model", save_model, "also fit on every row and save the classifier here");
  cmd->add_flag("--quiet,-q", quiet, "no progress output");
  cmd->callback([&action] {
    action = [] {
      ProtocolOptions o;
      o.classifier = classifier;
      o.observables = observables;
      o.grid = grid;
      o.splits = splits;
      o.seed = static_cast<uint64_t>(seed);
      o.n_jobs = jobs;
      o.drop_nonfinite = drop;
      o.stat_noise_var = noise_var;
      o.progress = !quiet;
      for (const auto& s : sets) {
        auto eq = s.find('=');
        if (eq == std::string::npos || eq == 0)
          throw ConfigError(fmt::format("--set '{}': expected KEY=V1,V2", s));
        std::vector<std::string> values;
        std::stringstream ss(s.substr(eq + 1));
        std::string v;
        while (std::getline(ss, v, ','))
          if (!v.empty()) values.push_back(v);
        o.set[s.substr(0, eq)] = values;
      }
      // Validate the grid before reading data.
      classifier_grid(o.classifier, o.grid, 21, o.set);
      TrajectoryDataset data = read_dataset(dataset);
      ProtocolResult r = run_protocol(data, o);
      fs::path dir = out.empty() ? fs::path("results") / fmt::format("{}_{}", fs::path(dataset).stem().string(), classifier)
                                 : fs::path(out);
      write_results(r, data, dir);
      std::cout << fmt::format("{} on {} ({} rows, {} observables, {} rules): test accuracy {:.4f} ± {:.4f} (s.e.m., {} "
                               "splits); results in {}\n",
                               classifier, dataset, data.rows(), r.observables.size(), r.class_names.size(),
                               r.accuracy_mean, r.accuracy_sem, r.splits.size(), dir.string());
      if (!save_model.empty()) {
        SavedClassifier c = fit_final_classifier(data, r);
        save_classifier(save_model, c);
        std::cout << fmt::format("saved the classifier ({}) to {}\n", config_text(c.config), save_model);
      }
      return 0;
    };
  });
}

// `lrid identify --model FILE DATASET.h5`: each row's predicted rule.
void add_identify(CLI::App& app, std::function<int()>& action) {
  auto* cmd = app.add_subcommand("identify", "apply a saved classifier to new trajectories");
  static std::string model, dataset, out;
  cmd->add_option("--model,-m", model, "a classifier saved by lrid classify --save-model")->required();
  cmd->add_option("dataset", dataset, "trajectory dataset (HDF5) with the classifier's observables")->required();
  cmd->add_option("--out,-o", out, "also write the table as CSV here");
  cmd->callback([&action] {
    action = [] {
      SavedClassifier c = load_classifier(model);
      TrajectoryDataset data = read_dataset(dataset);
      torch::Tensor s = classify_rows(c, data);
      // Probabilities (forest votes, Conv1D softmax) as they are; decision values (SVM) through a softmax.
      torch::Tensor p = classifier_spec(c.classifier).probabilistic ? s : torch::softmax(s, 1);
      auto [prob, pred] = p.max(1);
      const MetaColumn* run = data.meta.count("run_id") ? &data.meta.at("run_id") : nullptr;
      const MetaColumn* layer = data.meta.count("layer") ? &data.meta.at("layer") : nullptr;
      std::string table = "row,run_id,layer,predicted,probability,recorded\n";
      int64_t correct = 0, known = 0;
      for (int64_t i = 0; i < data.rows(); ++i) {
        const std::string& predicted = c.class_names[static_cast<std::size_t>(pred[i].item<int64_t>())];
        const std::string& truth = data.y[static_cast<std::size_t>(i)];
        table += fmt::format("{},{},{},{},{:.4f},{}\n", i, run ? run->as_string(i) : "", layer ? layer->as_string(i) : "",
                             predicted, prob[i].item<double>(), truth);
        if (std::find(c.class_names.begin(), c.class_names.end(), truth) != c.class_names.end()) {
          ++known;
          correct += predicted == truth;
        }
      }
      std::cout << table;
      if (known > 0)
        std::cerr << fmt::format("{} of {} rows carry a known rule label: {:.4f} identified correctly\n", known,
                                 data.rows(), static_cast<double>(correct) / static_cast<double>(known));
      if (!out.empty()) write_file_atomic(out, table);
      return 0;
    };
  });
}

}  // namespace lrid

namespace lrid {

// `lrid sweep CONFIG [key=value ...] [--jobs N] [--shard I/N] [--out DIR]`.
void add_sweep(CLI::App& app, std::function<int()>& action) {
  auto* cmd = app.add_subcommand("sweep", "run every run of a sweep grid (resumable, parallel, shardable)");
  static std::string config, shard, out;
  static std::vector<std::string> overrides;
  static int64_t jobs = 0;
  static bool quiet = false, dry = false;
  cmd->add_option("config", config, "sweep file (YAML: base, grid, overrides, set)")->required();
  cmd->add_option("overrides", overrides, "dotted overrides applied to every run");
  cmd->add_option("--jobs,-j", jobs, "concurrent runs, one thread each (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--shard", shard, "I/N: run only runs i with i mod N = I (default: SLURM_ARRAY_TASK_ID/COUNT)");
  cmd->add_option("--out,-o", out, "sweep directory (default: runs/<sweep name>)");
  cmd->add_flag("--quiet,-q", quiet, "no progress output");
  cmd->add_flag("--dry-run", dry, "list the runs and exit");
  cmd->callback([&action] {
    action = [] {
      SweepPlan plan = load_sweep(config, overrides);
      auto [i, n] = parse_shard(shard);
      SweepOptions o;
      o.jobs = jobs > 0 ? jobs : std::max<int64_t>(1, std::thread::hardware_concurrency());
      o.shard = i;
      o.shards = n;
      o.progress = !quiet;
      if (dry) {
        for (const auto& r : shard_runs(plan, i, n))
          std::cout << r.name << "  " << fmt::format("{}", fmt::join(r.overrides, " ")) << "\n";
        return 0;
      }
      fs::path dir = out.empty() ? fs::path("runs") / fs::path(config).stem() : fs::path(out);
      SweepSummary s = run_sweep(plan, dir, o, fs::read_symlink("/proc/self/exe").string());
      std::cout << fmt::format("sweep {} (shard {}/{}): {} finished, {} skipped (already finished), {} failed, {} "
                               "diverged; wall time {:.1f} s\n",
                               dir.string(), i, n, s.finished, s.skipped, s.failed, s.diverged, s.wall_time_s);
      for (const auto& p : s.problems) std::cout << "  " << p << "\n";
      return s.failed > 0 ? 1 : 0;
    };
  });
}

// `lrid dataset build RUN_DIR... -o dataset.h5` and `lrid dataset info FILE`.
void add_dataset(CLI::App& app, std::function<int()>& action) {
  auto* cmd = app.add_subcommand("dataset", "collate runs into a trajectory dataset, or summarise one");
  cmd->require_subcommand(1);
  auto* build = cmd->add_subcommand("build", "collate finished runs (sweep or run directories) into dataset.h5");
  static std::vector<std::string> roots, conditions;
  static std::string output, info_file;
  static bool all45 = false;
  build->add_option("dirs", roots, "sweep or run directories")->required();
  build->add_option("--output,-o", output, "the dataset file to write (HDF5)")->required();
  build->add_flag("--all45", all45, "keep all 45 observables (default: the 24 admissible)");
  build->add_option("--conditions", conditions, "measurement conditions to include (default: all)")->delimiter(',');
  static std::vector<std::string> attrs;
  build->add_option("--attr", attrs, "KEY=VALUE provenance stored as a file attribute (repeatable)");
  build->callback([&action] {
    action = [] {
      DatasetBuildOptions o;
      o.all45 = all45;
      o.conditions = conditions;
      for (const auto& a : attrs) {
        const auto eq = a.find('=');
        if (eq == std::string::npos || eq == 0) throw ConfigError(fmt::format("--attr '{}': expected KEY=VALUE", a));
        o.attributes[a.substr(0, eq)] = a.substr(eq + 1);
      }
      DatasetBuildReport report;
      TrajectoryDataset d = build_dataset(roots, o, &report);
      write_dataset(output, d);
      std::cout << fmt::format("{}: {} rows from {} of {} runs, T = {}, K = {}\n", output, d.rows(), report.runs_used,
                               report.runs_found, d.time_points(), d.obs_keys.size());
      if (!report.dropped_observables.empty())
        std::cout << fmt::format("dropped {} observables that are not finite in every model of the original "
                                 "(every skew and kurtosis, weightsq_norm, weightsq_var, act var, actsq_*); "
                                 "--all45 keeps them\n", report.dropped_observables.size());
      for (const auto& s : report.skipped) std::cout << "skipped " << s << "\n";
      return 0;
    };
  });
  auto* info = cmd->add_subcommand("info", "summarise a trajectory dataset");
  info->add_option("file", info_file, "dataset (HDF5)")->required();
  info->callback([&action] {
    action = [] {
      std::cout << dataset_summary(read_dataset(info_file));
      return 0;
    };
  });
}

}  // namespace lrid

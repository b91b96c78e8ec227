// Subcommands of `lrid`. See cli.h.
#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "training/config.h"
#include "core/errors.h"
#include "core/version.h"
#include "training/trainer.h"
#include "core/files.h"
#include "core/json.h"
#include "models/registry.h"
#include "observables/array_io.h"
#include "observables/user_stats.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

// `lrid train CONFIG [key=value ...] [--out DIR]`
void add_train(CLI::App& app, std::function<int()>& action) {
  auto* cmd = app.add_subcommand("train", "train one network from a YAML config");
  static std::string config_path, out_dir;
  static std::vector<std::string> overrides;
  static bool quiet = false, print_config = false, restart = false;
  cmd->add_option("config", config_path, "YAML configuration file")->required();
  cmd->add_option("overrides", overrides, "dotted overrides, e.g. optimizer.parameters.lr=0.01");
  cmd->add_option("--out,-o", out_dir, "run directory (default: runs/<run name>)");
  cmd->add_flag("--quiet,-q", quiet, "no progress output");
  cmd->add_flag("--print-config", print_config, "print the resolved configuration and exit");
  cmd->add_flag("--no-resume", restart, "ignore checkpoints in the run directory");
  cmd->callback([&action] {
    action = [] {
      Config config = load_config(config_path, overrides);
      if (print_config) {
        YAML::Emitter e;
        e << config.to_yaml();
        std::cout << e.c_str() << "\n";
        return 0;
      }
      std::string name = config.run.params.get_string("name");
      if (name.empty()) name = fs::path(config_path).stem().string();
      fs::path dir = out_dir.empty() ? fs::path("runs") / name : fs::path(out_dir);
      TrainOptions opts;
      opts.progress = !quiet;
      opts.resume = !restart;
      TrainResult r = train(config, dir, opts);
      if (r.status == "already-finished") {
        std::cout << fmt::format("{}: already finished (status.json); nothing to do\n", dir.string());
        return 0;
      }
      if (r.status == "diverged") {
        std::cerr << fmt::format("lrid: run diverged: {} (marked in {}/status.json)\n", r.reason, dir.string());
        return DivergenceError("").exit_code();
      }
      std::cout << fmt::format(
          "finished {} steps on {}: test accuracy {:.4f}, test loss {:.4f}, {:.1f} train images/s, "
          "wall time {:.1f} s\nrun directory: {}\n",
          r.steps, r.device, r.test_accuracy, r.test_loss, r.train_images_per_s, r.wall_time_s, dir.string());
      return 0;
    };
  });
}

// `lrid info [SECTION]`: every section's types and their parameters (the config reference).
void add_info(CLI::App& app, std::function<int()>& action) {
  auto* cmd = app.add_subcommand("info", "list config sections, their types and parameters");
  static std::string section;
  cmd->add_option("section", section, "only this section");
  cmd->callback([&action] {
    action = [] {
      for (const auto& s : config_sections()) {
        if (!section.empty() && s != section) continue;
        const RegistryBase& reg = section_registry(s);
        std::cout << s << ":\n";
        for (const auto& name : reg.names())
          std::cout << fmt::format("  {:<14} {}\n  {:<14} {}\n", name, reg.help(name), "",
                                   describe_schema(reg.schema(name)));
      }
      return 0;
    };
  });
}

// `lrid layers ARCH`: the recordable layers of an architecture.
void add_layers(CLI::App& app, std::function<int()>& action) {
  auto* cmd = app.add_subcommand("layers", "list an architecture's recordable layers");
  static std::string arch;
  static int64_t input_size = 32, channels = 3, classes = 10, projection = 0;
  cmd->add_option("architecture", arch, "architecture name")->required();
  cmd->add_option("--input-size", input_size, "input size");
  cmd->add_option("--channels", channels, "input channels");
  cmd->add_option("--classes", classes, "number of classes");
  cmd->add_option("--projection-dim", projection, "the SimCLR network with this projection size (task simclr: 128)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([&action] {
    action = [] {
      ModelOptions o;
      o.architecture = model_registry().canonical(arch, "architecture");
      o.input_size = input_size;
      o.in_channels = channels;
      o.num_classes = classes;
      o.projection_dim = projection;
      Model m = build_model(o);
      for (const auto& l : m->layers())
        std::cout << fmt::format("{:>3} {:<28} {:<6} {:<5} W{}\n", l.index, l.name, position_name(l.position),
                                 l.layer->is_conv() ? "conv" : "dense",
                                 fmt::format("[{}]", fmt::join(l.layer->weight().sizes(), ",")));
      return 0;
    };
  });
}

// `lrid stats --input FILE --measure weight|act|gradavg ...`: the observables of a user's recording.
void add_stats(CLI::App& app, std::function<int()>& action) {
  auto* cmd = app.add_subcommand("stats", "the observables of your own recording (.npy or CSV)");
  static std::string input, measure = "act", format = "csv", reduction = "mean", norm_mode = "frobenius";
  static double subsample = 1.0, noise = 0.0;
  static int64_t seed = 0, repeat = 0;
  cmd->add_option("--input,-i", input, "a .npy array (float32/float64, C order) or a CSV matrix")->required();
  cmd->add_option("--measure,-m", measure, "weight (any array), act ([samples, units]), gradavg "
                                           "(Jacobian [n_out, n_in] or [samples, n_out, n_in])")
      ->check(CLI::IsMember({"weight", "act", "gradavg"}));
  cmd->add_option("--subsample", subsample, "keep ceil(F * n) units, F in (0, 1]")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--noise", noise, "additive Gaussian noise, absolute standard deviation")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", seed, "seed of the unit subset and the noise")->check(CLI::NonNegativeNumber);
  cmd->add_option("--format", format, "json or csv")->check(CLI::IsMember({"json", "csv"}));
  cmd->add_option("--sample-reduction", reduction, "act/gradavg: mean or median over samples")
      ->check(CLI::IsMember({"mean", "median"}));
  cmd->add_option("--weight-norm", norm_mode, "weight: frobenius or slice_mean (leading axis)")
      ->check(CLI::IsMember({"frobenius", "slice_mean"}));
  cmd->add_option("--repeat", repeat, "benchmark: time the statistics N more times (stderr)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([&action] {
    action = [] {
      UserStatsOptions o;
      o.measure = parse_measure(measure, "--measure");
      if (subsample <= 0.0) throw ConfigError(fmt::format("--subsample {}: must be in (0, 1]", subsample));
      if (subsample < 1.0) o.condition.frac = subsample;
      if (noise > 0.0) o.condition.stddev = noise;
      o.condition.seed = seed;
      o.condition.validate("--subsample/--noise");
      o.sample_reduction = parse_sample_reduction(reduction, "--sample-reduction");
      o.weight_norm = parse_weight_norm_mode(norm_mode, "--weight-norm");
      torch::Tensor a = read_array(input);
      if (a.dim() >= 1 && std::find(a.sizes().begin(), a.sizes().end(), 0) != a.sizes().end())
        throw DataError(fmt::format("{}: the array is empty (shape {})", input, fmt::join(a.sizes(), "x")));
      auto values = user_statistics(a, o, input);
      if (repeat > 0) {
        torch::Tensor a32 = a.to(torch::kFloat32);  // recordings are usually float32
        auto t0 = std::chrono::steady_clock::now();
        for (int64_t i = 0; i < repeat; ++i) user_statistics(a32, o, input);
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        std::cerr << fmt::format("stats: {:.3f} ms per call (float32 input, {} calls, {} threads)\n",
                                 ms / static_cast<double>(repeat), repeat, at::get_num_threads());
      }
      if (format == "csv") {
        std::cout << "observable,value\n";
        for (const auto& [name, v] : values) std::cout << fmt::format("{},{}\n", name, v);
      } else {
        Json observables = Json::object();
        for (const auto& [name, v] : values) observables[name] = json_real_or_null(v);
        std::cout << json_text({{"input", input},
                                {"measure", measure},
                                {"shape", a.sizes().vec()},
                                {"subsample", subsample},
                                {"noise", noise},
                                {"seed", seed},
                                {"observables", observables}});
      }
      return 0;
    };
  });
}

}  // namespace

void add_classify(CLI::App& app, std::function<int()>& action);
void add_identify(CLI::App& app, std::function<int()>& action);
void add_dataset(CLI::App& app, std::function<int()>& action);
void add_sweep(CLI::App& app, std::function<int()>& action);
void add_experiment(CLI::App& app, std::function<int()>& action);
void add_report(CLI::App& app, std::function<int()>& action);
void add_demo(CLI::App& app, std::function<int()>& action);

int run_cli(int argc, char** argv) {
  CLI::App app{"lrid: identify learning rules from neural-network observables"};
  app.set_version_flag("--version", std::string(version()) + " (" + git_commit() + ")");
  app.require_subcommand(1);
  std::function<int()> action;
  add_train(app, action);
  add_info(app, action);
  add_layers(app, action);
  add_stats(app, action);
  add_classify(app, action);
  add_identify(app, action);
  add_sweep(app, action);
  add_dataset(app, action);
  add_experiment(app, action);
  add_report(app, action);
  add_demo(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return action ? action() : 0;
}

}  // namespace lrid

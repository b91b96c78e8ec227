// Training subcommands: `lrid train`, `lrid info` (the config reference) and
// `lrid layers` (an architecture's recordable layers).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "app/cli.h"
#include "app/launcher.h"
#include "app/stop_signal.h"
#include "core/errors.h"
#include "core/yaml_text.h"
#include "models/registry.h"
#include "training/config.h"
#include "training/distributed.h"
#include "training/trainer.h"
#include "training/training_options.h"

namespace lrid {
namespace fs = std::filesystem;

namespace {

struct TrainCommand {
  std::string config, out;
  std::vector<std::string> overrides;
  bool quiet = false, print_config = false, restart = false;
  int nproc = 1;
  double collective_timeout_s = 1800;
};

// --nproc N: this same command N times, as ranks of one data-parallel run.
int launch_train(const TrainCommand& c, const fs::path& dir) {
  if (const char* world = std::getenv("WORLD_SIZE"))
    throw ConfigError(fmt::format("--nproc {}: this process is already a rank of a launched job (WORLD_SIZE={})",
                                  c.nproc, world));
  std::vector<std::string> args = {fs::read_symlink("/proc/self/exe").string(), "train", c.config};
  args.insert(args.end(), c.overrides.begin(), c.overrides.end());
  args.insert(args.end(), {"--out", dir.string(), "--collective-timeout", fmt::format("{}", c.collective_timeout_s)});
  if (c.quiet) args.push_back("--quiet");
  if (c.restart) args.push_back("--no-resume");
  LaunchOptions lo;
  lo.nproc = c.nproc;
  lo.stop_requested = &install_stop_signal();  // passed on to the ranks
  return launch_ranks(args, lo);
}

int run_train(const TrainCommand& c) {
  Config config = load_config(c.config, c.overrides);
  if (rank_environment().rank == 0)  // once per job, not once per rank
    for (const auto& note : config.notes) std::cerr << "lrid: note: " << note << "\n";
  if (c.print_config) {
    std::cout << yaml_block(config.to_yaml()) << "\n";
    return 0;
  }
  std::string name = run_options(config.run.params).name;
  if (name.empty()) name = fs::path(c.config).stem().string();
  const fs::path dir = c.out.empty() ? fs::path("runs") / name : fs::path(c.out);
  if (c.nproc > 1) return launch_train(c, dir);
  TrainOptions opts;
  opts.progress = !c.quiet;
  opts.resume = !c.restart;
  opts.collective_timeout_s = c.collective_timeout_s;
  opts.stop_requested = &install_stop_signal();
  const TrainResult r = train(config, dir, opts);
  if (r.status == "interrupted") {
    if (r.rank == 0) std::cerr << fmt::format("lrid: {} (status.json in {}); run the same command to resume\n",
                                              r.reason, dir.string());
    return kExitInterrupted;
  }
  if (r.rank != 0) return r.status == "diverged" ? DivergenceError("").exit_code() : 0;  // rank 0 reports
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
}

// `lrid train CONFIG [key=value ...] [--out DIR]`
void declare_train(CLI::App& cmd, TrainCommand& c) {
  cmd.description("train one network from a YAML config");
  cmd.add_option("config", c.config, "YAML configuration file")->required();
  cmd.add_option("overrides", c.overrides, "dotted overrides, e.g. optimizer.parameters.lr=0.01");
  add_out_and_quiet(cmd, c.out, c.quiet, "run directory (default: runs/<run name>)");
  cmd.add_flag("--print-config", c.print_config, "print the resolved configuration and exit");
  cmd.add_flag("--no-resume", c.restart, "ignore checkpoints in the run directory");
  cmd.add_option("--nproc", c.nproc, "data parallel on this machine: start this many ranks (Gloo on CPU, NCCL on "
                                     "GPUs); under torchrun or srun the ranks come from their variables instead")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--collective-timeout", c.collective_timeout_s,
                 "data parallel: seconds a rank waits for the others (rendezvous and every collective)")
      ->check(CLI::PositiveNumber);
}

struct InfoCommand {
  std::string section;  // empty: every section
};

// `lrid info [SECTION]`: every section's types and their parameters (the config reference).
int run_info(const InfoCommand& c) {
  for (const auto& s : config_sections()) {
    if (!c.section.empty() && s != c.section) continue;
    const RegistryBase& reg = section_registry(s);
    std::cout << s << ":\n";
    for (const auto& name : reg.names())
      std::cout << fmt::format("  {:<14} {}\n  {:<14} {}\n", name, reg.help(name), "", describe_schema(reg.schema(name)));
  }
  return 0;
}

void declare_info(CLI::App& cmd, InfoCommand& c) {
  cmd.description("list config sections, their types and parameters");
  cmd.add_option("section", c.section, "only this section");
}

struct LayersCommand {
  std::string architecture;
  int64_t input_size = 32, channels = 3, classes = 10, projection = 0;
};

// `lrid layers ARCH`: the recordable layers of an architecture.
int run_layers(const LayersCommand& c) {
  ModelOptions o;
  o.architecture = model_registry().canonical(c.architecture, "architecture");
  o.input_size = c.input_size;
  o.in_channels = c.channels;
  o.num_classes = c.classes;
  o.projection_dim = c.projection;
  Model m = build_model(o);
  for (const auto& l : m->layers())
    std::cout << fmt::format("{:>3} {:<28} {:<6} {:<5} W{}\n", l.index, l.name, position_name(l.position),
                             l.layer->is_conv() ? "conv" : "dense",
                             fmt::format("[{}]", fmt::join(l.layer->weight().sizes(), ",")));
  return 0;
}

void declare_layers(CLI::App& cmd, LayersCommand& c) {
  cmd.description("list an architecture's recordable layers");
  cmd.add_option("architecture", c.architecture, "architecture name")->required();
  cmd.add_option("--input-size", c.input_size, "input size");
  cmd.add_option("--channels", c.channels, "input channels");
  cmd.add_option("--classes", c.classes, "number of classes");
  cmd.add_option("--projection-dim", c.projection, "the SimCLR network with this projection size (task simclr: 128)")
      ->check(CLI::NonNegativeNumber);
}

}  // namespace

void add_training_commands(CLI::App& app, Action& action) {
  add_command<TrainCommand>(app, action, "train", declare_train, run_train);
  add_command<InfoCommand>(app, action, "info", declare_info, run_info);
  add_command<LayersCommand>(app, action, "layers", declare_layers, run_layers);
}

}  // namespace lrid

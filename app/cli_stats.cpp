// `lrid stats`: the observables of a user's own recording (.npy or CSV).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <iostream>

#include "app/cli.h"
#include "core/errors.h"
#include "core/json.h"
#include "observables/array_io.h"
#include "observables/user_stats.h"

namespace lrid {
namespace {

struct StatsCommand {
  std::string input, measure = "act", format = "csv", reduction = "mean", norm_mode = "frobenius";
  double subsample = 1.0, noise = 0.0;
  int64_t seed = 0, repeat = 0;
};

UserStatsOptions stats_options(const StatsCommand& c) {
  UserStatsOptions o;
  o.measure = parse_measure(c.measure, "--measure");
  if (c.subsample <= 0.0) throw ConfigError(fmt::format("--subsample {}: must be in (0, 1]", c.subsample));
  if (c.subsample < 1.0) o.condition.frac = c.subsample;
  if (c.noise > 0.0) o.condition.stddev = c.noise;
  o.condition.seed = c.seed;
  o.condition.validate("--subsample/--noise");
  o.sample_reduction = parse_sample_reduction(c.reduction, "--sample-reduction");
  o.weight_norm = parse_weight_norm_mode(c.norm_mode, "--weight-norm");
  return o;
}

// --repeat: times the statistics on float32 input (recordings usually are) and reports on stderr.
void time_statistics(const StatsCommand& c, const torch::Tensor& a, const UserStatsOptions& o) {
  const torch::Tensor a32 = a.to(torch::kFloat32);
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < c.repeat; ++i) user_statistics(a32, o, c.input);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::cerr << fmt::format("stats: {:.3f} ms per call (float32 input, {} calls, {} threads)\n",
                           ms / static_cast<double>(c.repeat), c.repeat, at::get_num_threads());
}

void print_statistics(const StatsCommand& c, const torch::Tensor& a,
                      const std::vector<std::pair<std::string, double>>& values) {
  if (c.format == "csv") {
    std::cout << "observable,value\n";
    for (const auto& [name, v] : values) std::cout << fmt::format("{},{}\n", name, v);
    return;
  }
  Json observables = Json::object();
  for (const auto& [name, v] : values) observables[name] = json_real_or_null(v);
  std::cout << json_text({{"input", c.input},
                          {"measure", c.measure},
                          {"shape", a.sizes().vec()},
                          {"subsample", c.subsample},
                          {"noise", c.noise},
                          {"seed", c.seed},
                          {"observables", observables}});
}

int run_stats(const StatsCommand& c) {
  const UserStatsOptions o = stats_options(c);
  const torch::Tensor a = read_array(c.input);
  if (a.dim() >= 1 && std::find(a.sizes().begin(), a.sizes().end(), 0) != a.sizes().end())
    throw DataError(fmt::format("{}: the array is empty (shape {})", c.input, fmt::join(a.sizes(), "x")));
  const auto values = user_statistics(a, o, c.input);
  if (c.repeat > 0) time_statistics(c, a, o);
  print_statistics(c, a, values);
  return 0;
}

// `lrid stats --input FILE --measure weight|act|gradavg ...`
void declare_stats(CLI::App& cmd, StatsCommand& c) {
  cmd.description("the observables of your own recording (.npy or CSV)");
  cmd.add_option("--input,-i", c.input, "a .npy array (float32/float64, C order) or a CSV matrix")->required();
  cmd.add_option("--measure,-m", c.measure, "weight (any array), act ([samples, units]), gradavg "
                                             "(Jacobian [n_out, n_in] or [samples, n_out, n_in])")
      ->check(CLI::IsMember({"weight", "act", "gradavg"}));
  cmd.add_option("--subsample", c.subsample, "keep ceil(F * n) units, F in (0, 1]")->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--noise", c.noise, "additive Gaussian noise, absolute standard deviation")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--seed", c.seed, "seed of the unit subset and the noise")->check(CLI::NonNegativeNumber);
  cmd.add_option("--format", c.format, "json or csv")->check(CLI::IsMember({"json", "csv"}));
  cmd.add_option("--sample-reduction", c.reduction, "act/gradavg: mean or median over samples")
      ->check(CLI::IsMember({"mean", "median"}));
  cmd.add_option("--weight-norm", c.norm_mode, "weight: frobenius or slice_mean (leading axis)")
      ->check(CLI::IsMember({"frobenius", "slice_mean"}));
  cmd.add_option("--repeat", c.repeat, "benchmark: time the statistics N more times (stderr)")
      ->check(CLI::NonNegativeNumber);
}

}  // namespace

void add_stats_command(CLI::App& app, Action& action) {
  add_command<StatsCommand>(app, action, "stats", declare_stats, run_stats);
}

}  // namespace lrid

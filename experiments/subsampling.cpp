// Trajectory subsampling (science.md §7(c)). The schemes keep time indices
// dense 0..T-1, intermediate 0, 3, 6, ... and sparse 0, 5, 10, ... (at the
// report's 5-epoch spacing of 21 points: every 5, 15 and 25 epochs). For each
// number of kept points k, `repeats` subsets of k scheme indices are drawn
// uniformly without replacement (sorted in time) and applied to every row: an
// experimenter's measurement schedule; the protocol runs on each. With
// window=true, k consecutive scheme points from a random start are also run
// (the report suspected the starting position matters). Writes
// subsampling.csv (every subset), subsampling_summary.csv (mean ± s.e.m. over
// subsets and splits) and subsampling.svg (accuracy against k/T per scheme).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "classifiers/metrics.h"
#include "classifiers/registry.h"
#include "core/csv.h"
#include "core/errors.h"
#include "core/seeding.h"
#include "experiments/experiments.h"
#include "experiments/protocol_runner.h"
#include "experiments/selection.h"
#include "figures/svg.h"

namespace lrid {
namespace {

// One subset to run: the time points of `repeat` for (variant, scheme, k).
struct Subset {
  std::string variant, scheme;
  int64_t k, repeat;
  std::vector<int64_t> times;
};

using CellKey = std::tuple<std::string, std::string, int64_t, std::string>;  // (variant, scheme, k, observables)
using Cells = std::map<CellKey, std::vector<double>>;  // every (subset, split) test accuracy

// The protocol's accuracies over every subset, and with every time point.
struct Measured {
  Cells cells;
  std::map<std::string, double> full;  // per observable set: accuracy with every time point
};

std::vector<int64_t> scheme_points(const std::string& scheme, int64_t t) {
  const int64_t step = scheme == "dense" ? 1 : scheme == "intermediate" ? 3 : 5;
  std::vector<int64_t> v;
  for (int64_t i = 0; i < t; i += step) v.push_back(i);
  return v;
}

std::string join(const std::vector<int64_t>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ";" : "") + std::to_string(v[i]);
  return s;
}

// FNV-1a: a hash that is the same on every platform (std::hash need not be).
uint64_t stable_hash(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// The k values of a scheme with n points: dense_k below n, then n (the full trajectory, the
// reference); the other schemes every k in 1..n.
std::vector<int64_t> k_values(const std::string& scheme, int64_t n, const std::vector<int64_t>& dense_k) {
  std::vector<int64_t> ks;
  if (scheme == "dense") {
    for (int64_t k : dense_k)
      if (k < n) ks.push_back(k);
    ks.push_back(n);
  } else {
    for (int64_t k = 1; k <= n; ++k) ks.push_back(k);
  }
  return ks;
}

// Subset `repeat` of k of the scheme's points: random (sorted in time) or a window from a random start.
std::vector<int64_t> draw_subset(const std::string& variant, const std::string& scheme, const std::vector<int64_t>& points,
                                 int64_t k, int64_t repeat, uint64_t seed) {
  std::mt19937_64 rng(mix_seed(mix_seed(mix_seed(seed, stable_hash(variant + "/" + scheme)), static_cast<uint64_t>(k)),
                               static_cast<uint64_t>(repeat)));
  std::vector<int64_t> t;
  if (variant == "random") {
    t = points;
    std::shuffle(t.begin(), t.end(), rng);
    t.resize(static_cast<std::size_t>(k));
    std::sort(t.begin(), t.end());
  } else {
    std::uniform_int_distribution<int64_t> start(0, static_cast<int64_t>(points.size()) - k);
    const int64_t s = start(rng);
    t.assign(points.begin() + s, points.begin() + s + k);
  }
  return t;
}

// Every (variant, scheme, k, subset) to run, drawn up front so the plan is independent of the results.
std::vector<Subset> plan_subsets(const std::vector<std::string>& variants, const SubsamplingOptions& o, int64_t T,
                                 uint64_t seed) {
  std::vector<Subset> subsets;
  for (const auto& variant : variants)
    for (const auto& scheme : o.schemes) {
      const auto points = scheme_points(scheme, T);
      for (int64_t k : k_values(scheme, static_cast<int64_t>(points.size()), o.dense_k)) {
        std::set<std::vector<int64_t>> seen;
        for (int64_t r = 0; r < o.repeats; ++r) {
          std::vector<int64_t> t = draw_subset(variant, scheme, points, k, r, seed);
          if (!seen.insert(t).second) continue;  // k = n (and small n) repeat the same subset: run it once
          subsets.push_back({variant, scheme, k, r, t});
        }
      }
    }
  if (subsets.empty()) throw ConfigError("subsampling: no (scheme, k) to run; check schemes and dense_k");
  return subsets;
}

// The protocol on every subset and observable set; writes subsampling.csv (every subset).
Measured run_subsets(const ExperimentContext& ctx, const SubsamplingOptions& o, const std::vector<Subset>& subsets) {
  const int64_t T = ctx.data.time_points();
  const auto& measures = ctx.common.measures;
  ProtocolRunner runner("subsampling", static_cast<int64_t>(subsets.size() * measures.size()), ctx.progress);
  std::vector<std::vector<std::string>> rows;
  Measured res;
  for (const auto& job : subsets)
    for (const auto& m : measures) {
      ProtocolOptions po = protocol_options(ctx.common, o.classifier, m);
      po.time_points = job.times;
      ProtocolResult r = runner.run(ctx.data, po, fmt::format("{}/{} k={} {}", job.variant, job.scheme, job.k, m));
      rows.push_back({job.variant, job.scheme, std::to_string(job.k), csv_number(static_cast<double>(job.k) / T),
                      std::to_string(job.repeat), join(job.times), m, csv_number(r.accuracy_mean),
                      csv_number(r.accuracy_sem)});
      auto& accs = res.cells[{job.variant, job.scheme, job.k, m}];
      for (double a : split_accuracies(r)) accs.push_back(a);
      if (job.scheme == "dense" && job.k == T && job.variant == "random") res.full[m] = r.accuracy_mean;
    }
  runner.finish();
  write_csv(ctx.dir / "subsampling.csv",
            {"variant", "scheme", "k", "fraction", "repeat", "time_points", "observables", "accuracy_mean",
             "accuracy_sem"},
            rows);
  return res;
}

void write_summary(const std::filesystem::path& dir, const Cells& cells, int64_t T) {
  std::vector<std::vector<std::string>> summary;
  for (const auto& [key, accs] : cells) {
    const auto& [variant, scheme, k, m] = key;
    summary.push_back({variant, scheme, std::to_string(k), csv_number(static_cast<double>(k) / T), m,
                       std::to_string(accs.size()), csv_number(mean(accs)), csv_number(sem(accs))});
  }
  write_csv(dir / "subsampling_summary.csv",
            {"variant", "scheme", "k", "fraction", "observables", "runs", "accuracy_mean", "accuracy_sem"}, summary);
}

// Accuracy against the share of time points kept, one line per scheme, for one variant and observable set.
std::string scheme_lines(const ExperimentContext& ctx, const SubsamplingOptions& o, const Cells& cells,
                         const std::string& variant, const std::string& m) {
  const int64_t T = ctx.data.time_points();
  svg::LinePlot lp;
  lp.title = pretty_measure(m);
  lp.x_label = fmt::format("time points kept (% of {})", T);
  lp.y_label = "test accuracy";
  lp.references.push_back({chance_level(ctx.data), "chance"});
  for (const auto& scheme : o.schemes) {
    svg::Line l;
    l.name = scheme;
    for (const auto& [key, accs] : cells) {
      if (std::get<0>(key) != variant || std::get<1>(key) != scheme || std::get<3>(key) != m) continue;
      const double mu = mean(accs), se = accs.size() > 1 ? sem(accs) : 0.0;
      l.x.push_back(100.0 * static_cast<double>(std::get<2>(key)) / T);
      l.y.push_back(mu);
      l.lo.push_back(mu - se);
      l.hi.push_back(mu + se);
    }
    lp.lines.push_back(l);
  }
  return svg::line_plot(lp);
}

// subsampling.svg (random subsets) and, with window=true, subsampling_window.svg.
void write_subsampling_figures(const ExperimentContext& ctx, const SubsamplingOptions& o, const std::vector<std::string>& variants,
                   const Cells& cells, ExperimentOutput& out) {
  for (const auto& variant : variants) {
    const bool random = variant == "random";
    std::vector<std::string> panels;
    for (const auto& m : ctx.common.measures) panels.push_back(scheme_lines(ctx, o, cells, variant, m));
    const std::string file = random ? "subsampling.svg" : "subsampling_window.svg";
    svg::write_svg(ctx.dir / file, svg::panels(panels, 2, random ? "Random subsets of time points"
                                                                 : "Consecutive windows of time points"));
    out.figures.push_back({file,
                           random ? "Accuracy against the share of time points kept"
                                  : "Accuracy with k consecutive scheme points from a random start",
                           out.description});
  }
}

// Mean accuracy of random subsets of at most kmax points of a scheme (NaN when none).
double mean_up_to(const Cells& cells, const std::string& scheme, const std::string& m, int64_t kmax) {
  std::vector<double> v;
  for (const auto& [key, accs] : cells)
    if (std::get<0>(key) == "random" && std::get<1>(key) == scheme && std::get<3>(key) == m && std::get<2>(key) <= kmax)
      v.insert(v.end(), accs.begin(), accs.end());
  return v.empty() ? NAN : mean(v);
}

bool has_scheme(const SubsamplingOptions& o, const std::string& scheme) {
  return std::find(o.schemes.begin(), o.schemes.end(), scheme) != o.schemes.end();
}

// Sparse beats dense at equal k, for k up to the sparse scheme's size, on every observable set.
void spacing_finding(const ExperimentContext& ctx, const SubsamplingOptions& o, const Cells& cells,
                     ExperimentOutput& out) {
  if (!has_scheme(o, "sparse") || !has_scheme(o, "dense")) return;
  const int64_t kmax = static_cast<int64_t>(scheme_points("sparse", ctx.data.time_points()).size());
  int wins = 0, n = 0;
  std::string measured;
  for (const auto& m : ctx.common.measures) {
    const double sp = mean_up_to(cells, "sparse", m, kmax), de = mean_up_to(cells, "dense", m, kmax),
                 in = mean_up_to(cells, "intermediate", m, kmax);
    ++n;
    wins += sp > de;
    measured += fmt::format("{}{}: sparse {:.3f}, intermediate {:.3f}, dense {:.3f}", measured.empty() ? "" : "; ",
                            pretty_measure(m), sp, in, de);
  }
  out.findings.push_back({"Measurements spaced further apart in time are more robust to trajectory undersampling.",
                          "paper, report",
                          fmt::format("Mean accuracy over k = 1..{} kept points: {}. Threshold: sparse above dense on "
                                      "every observable set ({} of {}).",
                                      kmax, measured, wins, n),
                          wins == n ? "agrees" : wins > 0 ? "partly" : "disagrees"});
}

// Per single measure: accuracy with 1-2 sparse points (dense when no sparse) as a share of the full trajectory's.
std::map<std::string, double> kept_shares(const Measured& res) {
  std::map<std::string, double> kept;
  for (const char* m : {"weight", "act", "grad"}) {
    if (!res.full.count(m)) continue;
    const double low = mean_up_to(res.cells, "sparse", m, 2);
    kept[m] = std::isfinite(low) ? low / res.full.at(m) : mean_up_to(res.cells, "dense", m, 2) / res.full.at(m);
  }
  return kept;
}

// Weights keep the largest share; activations keep less but match weights with every point.
void robustness_findings(const Measured& res, ExperimentOutput& out) {
  const std::map<std::string, double> kept = kept_shares(res);
  if (kept.size() < 2) return;
  std::string best, measured;
  double b = -INFINITY;
  for (const auto& [m, v] : kept) {
    measured += fmt::format("{}{} {:.2f} (full trajectory {:.3f})", measured.empty() ? "" : ", ", pretty_measure(m), v,
                            res.full.at(m));
    if (v > b) {
      b = v;
      best = m;
    }
  }
  out.findings.push_back({"Weights are the most robust to trajectory undersampling.", "report",
                          "Accuracy with 1-2 sparse points as a share of the full-trajectory accuracy: " + measured +
                              ". Threshold: weights keep the largest share.",
                          best == "weight" ? "agrees" : "disagrees"});
  if (!kept.count("act") || !kept.count("weight")) return;
  const auto& full = res.full;
  out.findings.push_back(
      {"Activations reach comparable performance only when sampled often enough.", "paper (via the report)",
       fmt::format("Activations keep {:.2f} of their full-trajectory accuracy with 1-2 points (weights {:.2f}); "
                   "with every point, activations {:.3f} against weights {:.3f}. Thresholds: activations keep less "
                   "than weights, and with every point reach at least 90% of the weights' accuracy.",
                   kept.at("act"), kept.at("weight"), full.at("act"), full.at("weight")),
       kept.at("act") < kept.at("weight") && full.at("act") >= 0.9 * full.at("weight") ? "agrees" : "disagrees"});
}

// The classifier as the description names it: the default (the random forest) by its label, another by its name.
std::string described(const std::string& classifier) {
  return classifier == SubsamplingOptions{}.classifier ? classifier_spec(classifier).label : classifier;
}

void declare_subsampling(OptionsBinding<SubsamplingOptions>& b) {
  b.add("classifier", &SubsamplingOptions::classifier).one_of(classifier_registry().names())
      .describe("the reference is the random forest");
  b.add("schemes", &SubsamplingOptions::schemes).one_of({"dense", "intermediate", "sparse"});
  b.add("repeats", &SubsamplingOptions::repeats).at_least(1).describe("random subsets per (scheme, k)");
  b.add("dense_k", &SubsamplingOptions::dense_k).at_least(1)
      .describe("k values of the dense scheme (intermediate and sparse: every k)");
  b.add("window", &SubsamplingOptions::window).describe("also k consecutive scheme points from a random start");
}

}  // namespace

const OptionsBinding<SubsamplingOptions>& subsampling_binding() { return bound_once<SubsamplingOptions, declare_subsampling>(); }


ExperimentOutput run_subsampling(const ExperimentContext& ctx, const SubsamplingOptions& o) {
  const int64_t T = ctx.data.time_points();
  std::vector<std::string> variants = {"random"};
  if (o.window) variants.push_back("window");
  const Measured res = run_subsets(ctx, o, plan_subsets(variants, o, T, ctx.common.seed));
  write_summary(ctx.dir, res.cells, T);
  ExperimentOutput out;
  out.title = "Trajectory subsampling";
  out.description = fmt::format(
      "{} on k of the {} time points, the k drawn at random ({} subsets per k) from each scheme: dense (every point), "
      "intermediate (every 3rd) and sparse (every 5th). Lines: mean ± s.e.m. over subsets and splits.",
      described(o.classifier), T, o.repeats);
  write_subsampling_figures(ctx, o, variants, res.cells, out);
  out.tables = {{"subsampling_summary.csv", "Accuracy per scheme and k (mean ± s.e.m. over subsets and splits)"},
                {"subsampling.csv", "Every subset"}};
  // Findings: schemes compared at equal k (k <= the sparse scheme's size), measures by retained accuracy.
  spacing_finding(ctx, o, res.cells, out);
  robustness_findings(res, out);
  return out;
}

}  // namespace lrid

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

#include "classifiers/metrics.h"
#include "core/errors.h"
#include "core/seeding.h"
#include "experiments/experiments.h"
#include "figures/svg.h"

namespace lrid {
namespace {

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

struct Cell {
  std::vector<double> accs;  // every (subset, split) test accuracy
};

}  // namespace

Schema subsampling_schema() {
  return {
      string_param("classifier", "rf").one_of({"rf", "svm", "conv1d"}).describe("the reference is the random forest"),
      strings_param("schemes", {"dense", "intermediate", "sparse"}).one_of({"dense", "intermediate", "sparse"}),
      int_param("repeats", 5).at_least(1).describe("random subsets per (scheme, k)"),
      ints_param("dense_k", {1, 2, 3, 4, 5, 7, 10, 14, 21}).at_least(1)
          .describe("k values of the dense scheme (intermediate and sparse: every k)"),
      bool_param("window", false).describe("also k consecutive scheme points from a random start"),
  };
}

ExperimentOutput run_subsampling(const ExperimentContext& ctx) {
  const Params& p = ctx.params;
  const int64_t T = ctx.data.time_points();
  const auto schemes = p.get_strings("schemes");
  const auto measures = p.get_strings("measures");
  const std::string classifier = p.get_string("classifier");
  const int64_t repeats = p.get_int("repeats");
  std::vector<std::string> variants = {"random"};
  if (p.get_bool("window")) variants.push_back("window");
  // Every (variant, scheme, k, subset) to run, drawn up front so the plan is independent of the results.
  struct Job {
    std::string variant, scheme;
    int64_t k, repeat;
    std::vector<int64_t> times;
  };
  std::vector<Job> jobs;
  for (const auto& variant : variants)
    for (const auto& scheme : schemes) {
      const auto points = scheme_points(scheme, T);
      const auto n = static_cast<int64_t>(points.size());
      std::vector<int64_t> ks;
      if (scheme == "dense") {
        for (int64_t k : p.get_ints("dense_k"))
          if (k < n) ks.push_back(k);
        ks.push_back(n);  // the full trajectory: the reference
      } else {
        for (int64_t k = 1; k <= n; ++k) ks.push_back(k);
      }
      for (int64_t k : ks) {
        std::set<std::vector<int64_t>> seen;
        for (int64_t r = 0; r < repeats; ++r) {
          std::mt19937_64 rng(mix_seed(mix_seed(mix_seed(static_cast<uint64_t>(p.get_int("seed")), stable_hash(variant + "/" + scheme)),
                                                static_cast<uint64_t>(k)), static_cast<uint64_t>(r)));
          std::vector<int64_t> t;
          if (variant == "random") {
            t = points;
            std::shuffle(t.begin(), t.end(), rng);
            t.resize(static_cast<std::size_t>(k));
            std::sort(t.begin(), t.end());
          } else {
            std::uniform_int_distribution<int64_t> start(0, n - k);
            const int64_t s = start(rng);
            t.assign(points.begin() + s, points.begin() + s + k);
          }
          if (!seen.insert(t).second) continue;  // k = n (and small n) repeat the same subset: run it once
          jobs.push_back({variant, scheme, k, r, t});
        }
      }
    }
  if (jobs.empty()) throw ConfigError("subsampling: no (scheme, k) to run; check schemes and dense_k");
  ProtocolRunner runner("subsampling", static_cast<int64_t>(jobs.size() * measures.size()), ctx.progress);
  std::vector<std::vector<std::string>> rows;
  std::map<std::tuple<std::string, std::string, int64_t, std::string>, Cell> cells;
  std::map<std::string, double> full;  // accuracy with every time point, per measure
  for (const auto& job : jobs)
    for (const auto& m : measures) {
      ProtocolOptions o = protocol_options(p, classifier, m);
      o.time_points = job.times;
      ProtocolResult r = runner.run(ctx.data, o, fmt::format("{}/{} k={} {}", job.variant, job.scheme, job.k, m));
      rows.push_back({job.variant, job.scheme, std::to_string(job.k), csv_number(static_cast<double>(job.k) / T),
                      std::to_string(job.repeat), join(job.times), m, csv_number(r.accuracy_mean),
                      csv_number(r.accuracy_sem)});
      auto& c = cells[{job.variant, job.scheme, job.k, m}];
      for (double a : split_accuracies(r)) c.accs.push_back(a);
      if (job.scheme == "dense" && job.k == T && job.variant == "random") full[m] = r.accuracy_mean;
    }
  runner.finish();
  write_csv(ctx.dir / "subsampling.csv",
            {"variant", "scheme", "k", "fraction", "repeat", "time_points", "observables", "accuracy_mean",
             "accuracy_sem"},
            rows);
  std::vector<std::vector<std::string>> summary;
  for (const auto& [key, c] : cells) {
    const auto& [variant, scheme, k, m] = key;
    summary.push_back({variant, scheme, std::to_string(k), csv_number(static_cast<double>(k) / T), m,
                       std::to_string(c.accs.size()), csv_number(mean(c.accs)), csv_number(sem(c.accs))});
  }
  write_csv(ctx.dir / "subsampling_summary.csv",
            {"variant", "scheme", "k", "fraction", "observables", "runs", "accuracy_mean", "accuracy_sem"}, summary);

  const double chance = chance_level(ctx.data);
  ExperimentOutput out;
  out.title = "Trajectory subsampling";
  out.description = fmt::format(
      "{} on k of the {} time points, the k drawn at random ({} subsets per k) from each scheme: dense (every point), "
      "intermediate (every 3rd) and sparse (every 5th). Lines: mean ± s.e.m. over subsets and splits.",
      classifier == "rf" ? "Random forest" : classifier, T, repeats);
  for (const auto& variant : variants) {
    std::vector<std::string> panels;
    for (const auto& m : measures) {
      svg::LinePlot lp;
      lp.title = pretty_measure(m);
      lp.x_label = fmt::format("time points kept (% of {})", T);
      lp.y_label = "test accuracy";
      lp.references.push_back({chance, "chance"});
      for (const auto& scheme : schemes) {
        svg::Line l;
        l.name = scheme;
        for (const auto& [key, c] : cells) {
          if (std::get<0>(key) != variant || std::get<1>(key) != scheme || std::get<3>(key) != m) continue;
          const double mu = mean(c.accs), se = c.accs.size() > 1 ? sem(c.accs) : 0.0;
          l.x.push_back(100.0 * static_cast<double>(std::get<2>(key)) / T);
          l.y.push_back(mu);
          l.lo.push_back(mu - se);
          l.hi.push_back(mu + se);
        }
        lp.lines.push_back(l);
      }
      panels.push_back(svg::line_plot(lp));
    }
    const std::string file = variant == "random" ? "subsampling.svg" : "subsampling_window.svg";
    svg::write_svg(ctx.dir / file,
                   svg::panels(panels, 2, variant == "random" ? "Random subsets of time points"
                                                              : "Consecutive windows of time points"));
    out.figures.push_back({file,
                           variant == "random" ? "Accuracy against the share of time points kept"
                                               : "Accuracy with k consecutive scheme points from a random start",
                           out.description});
  }
  out.tables = {{"subsampling_summary.csv", "Accuracy per scheme and k (mean ± s.e.m. over subsets and splits)"},
                {"subsampling.csv", "Every subset"}};

  // Findings: compare schemes at equal k (k <= the sparse scheme's size), and measures by retained accuracy.
  auto avg = [&](const std::string& scheme, const std::string& m, int64_t kmax) {
    std::vector<double> v;
    for (const auto& [key, c] : cells)
      if (std::get<0>(key) == "random" && std::get<1>(key) == scheme && std::get<3>(key) == m && std::get<2>(key) <= kmax)
        v.insert(v.end(), c.accs.begin(), c.accs.end());
    return v.empty() ? NAN : mean(v);
  };
  const int64_t kmax = static_cast<int64_t>(scheme_points("sparse", T).size());
  if (std::find(schemes.begin(), schemes.end(), "sparse") != schemes.end() &&
      std::find(schemes.begin(), schemes.end(), "dense") != schemes.end()) {
    int wins = 0, n = 0;
    std::string measured;
    for (const auto& m : measures) {
      const double sp = avg("sparse", m, kmax), de = avg("dense", m, kmax), in = avg("intermediate", m, kmax);
      ++n;
      wins += sp > de;
      measured += fmt::format("{}{}: sparse {:.3f}, intermediate {:.3f}, dense {:.3f}", measured.empty() ? "" : "; ",
                              pretty_measure(m), sp, in, de);
    }
    out.findings.push_back({"Measurements spaced further apart in time are more robust to trajectory undersampling.",
                            "paper, report",
                            fmt::format("Mean accuracy over k = 1..{} kept points: {}.", kmax, measured),
                            wins == n ? "agrees" : wins > 0 ? "partly" : "disagrees"});
  }
  std::map<std::string, double> kept;
  for (const char* m : {"weight", "act", "grad"}) {
    if (!full.count(m)) continue;
    const double low = avg("sparse", m, 2);
    kept[m] = std::isfinite(low) ? low / full.at(m) : avg("dense", m, 2) / full.at(m);
  }
  if (kept.size() >= 2) {
    std::string best;
    double b = -INFINITY;
    std::string measured;
    for (const auto& [m, v] : kept) {
      measured += fmt::format("{}{} {:.2f} (full trajectory {:.3f})", measured.empty() ? "" : ", ", pretty_measure(m),
                              v, full.at(m));
      if (v > b) {
        b = v;
        best = m;
      }
    }
    out.findings.push_back({"Weights are the most robust to trajectory undersampling.", "report",
                            "Accuracy with 1-2 sparse points as a share of the full-trajectory accuracy: " + measured + ".",
                            best == "weight" ? "agrees" : "disagrees"});
    if (kept.count("act") && kept.count("weight"))
      out.findings.push_back(
          {"Activations reach comparable performance only when sampled often enough.", "paper (via the report)",
           fmt::format("Activations keep {:.2f} of their full-trajectory accuracy with 1-2 points (weights {:.2f}); "
                       "with every point, activations {:.3f} against weights {:.3f}.",
                       kept.at("act"), kept.at("weight"), full.at("act"), full.at("weight")),
           kept.at("act") < kept.at("weight") && full.at("act") >= 0.9 * full.at("weight") ? "agrees" : "disagrees"});
  }
  return out;
}

}  // namespace lrid

// Measurement noise and unit undersampling (science.md §7(d)), both labelled:
//  - statistic-level (the reproduction report's variant, §4.6): Gaussian noise
//    of each variance added to the stored statistics before normalisation;
//  - tensor-level (the original design, §4): the runs' own recorded
//    measurement conditions (noise on the raw tensors, then ceil(frac·n) kept
//    units), one protocol run per condition and measure, on the runs that
//    recorded them (in the sweeps: FA and IA, so chance is 0.5).
// Writes noise_statistic.csv, noise_recorded.csv, noise_statistic.svg and noise_recorded.svg.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "core/errors.h"
#include "experiments/experiments.h"
#include "figures/svg.h"

namespace lrid {
namespace {

double meta_real(const TrajectoryDataset& d, const std::string& key, int64_t row, double none) {
  auto it = d.meta.find(key);
  if (it == d.meta.end()) return none;
  double v = NAN;
  const MetaColumn& c = it->second;
  if (c.kind == MetaColumn::Kind::kReal) v = c.reals[static_cast<std::size_t>(row)];
  else if (c.kind == MetaColumn::Kind::kInt) v = static_cast<double>(c.ints[static_cast<std::size_t>(row)]);
  return std::isfinite(v) ? v : none;
}

}  // namespace

Schema noise_schema() {
  return {
      string_param("classifier", "rf").one_of({"rf", "svm", "conv1d"}),
      reals_param("variances", {0, 0.5, 1, 5, 10}).at_least(0).describe("statistic-level noise variances"),
      bool_param("recorded", true).describe("also classify the recorded measurement conditions"),
  };
}

ExperimentOutput run_noise(const ExperimentContext& ctx) {
  const Params& p = ctx.params;
  const auto measures = p.get_strings("measures");
  const auto variances = p.get_reals("variances");
  const std::string classifier = p.get_string("classifier");
  ExperimentOutput out;
  out.title = "Measurement noise and unit undersampling";
  out.description =
      "Statistic-level: Gaussian noise of each variance added to the stored statistics (the reproduction report's "
      "variant; it hits small-magnitude statistics hardest). Tensor-level: the conditions recorded during training "
      "(noise on the raw tensors, then a fixed seeded subset of the units).";

  // The recorded conditions: rows of runs that recorded more than the full condition.
  struct Cond {
    double frac, sigma;
    std::vector<int64_t> rows;
  };
  std::vector<Cond> conds;
  std::vector<int64_t> cond_pool;
  if (p.get_bool("recorded") && ctx.all.meta.count("condition") && ctx.all.meta.count("run_id")) {
    std::set<std::string> runs;
    for (int64_t i = 0; i < ctx.all.rows(); ++i)
      if (ctx.all.meta.at("condition").as_string(i) != "full") runs.insert(ctx.all.meta.at("run_id").as_string(i));
    std::map<std::pair<double, double>, std::vector<int64_t>> by;
    for (int64_t i = 0; i < ctx.all.rows(); ++i)
      if (runs.count(ctx.all.meta.at("run_id").as_string(i)))
        by[{meta_real(ctx.all, "obs_frac", i, 1.0), meta_real(ctx.all, "obs_stddev", i, 0.0)}].push_back(i);
    for (auto& [k, rows] : by) conds.push_back({k.first, k.second, rows});
    if (conds.size() < 2) conds.clear();
  }
  const int64_t n_recorded = static_cast<int64_t>(conds.size() * measures.size());
  ProtocolRunner runner("noise", static_cast<int64_t>(variances.size() * measures.size()) + n_recorded, ctx.progress);

  // Statistic-level.
  std::map<std::string, std::vector<std::pair<double, ProtocolResult>>> stat;
  std::vector<std::vector<std::string>> stat_rows;
  const double chance = chance_level(ctx.data);
  for (const auto& m : measures)
    for (double v : variances) {
      ProtocolOptions o = protocol_options(p, classifier, m);
      o.stat_noise_var = v;
      ProtocolResult r = runner.run(ctx.data, o, fmt::format("statistic noise {} {}", v, m));
      stat_rows.push_back({m, csv_number(v), csv_number(r.accuracy_mean), csv_number(r.accuracy_sem), csv_number(chance)});
      stat[m].emplace_back(v, std::move(r));
    }
  write_csv(ctx.dir / "noise_statistic.csv", {"observables", "variance", "accuracy_mean", "accuracy_sem", "chance"},
            stat_rows);
  svg::LinePlot lp;
  lp.title = "Statistic-level noise (report variant)";
  lp.x_label = "noise variance added to the statistics";
  lp.y_label = "test accuracy";
  lp.references.push_back({chance, "chance"});
  for (const auto& m : measures) {
    svg::Line l;
    l.name = pretty_measure(m);
    for (const auto& [v, r] : stat.at(m)) {
      l.x.push_back(v);
      l.y.push_back(r.accuracy_mean);
      const double se = std::isfinite(r.accuracy_sem) ? r.accuracy_sem : 0.0;
      l.lo.push_back(r.accuracy_mean - se);
      l.hi.push_back(r.accuracy_mean + se);
    }
    lp.lines.push_back(l);
  }
  svg::write_svg(ctx.dir / "noise_statistic.svg", svg::line_plot(lp));
  out.figures.push_back({"noise_statistic.svg", "Accuracy against statistic-level noise",
                         fmt::format("{} on the {} observable sets with Gaussian noise of variance {} added to every "
                                     "selected statistic (seeded), before z-scoring; mean ± s.e.m. over {} splits.",
                                     classifier, measures.size(), fmt::join(variances, ", "), p.get_int("splits"))});
  out.tables.push_back({"noise_statistic.csv", "Accuracy per noise variance (statistic-level)"});

  // Tensor-level, from the recorded conditions.
  std::map<std::string, std::map<std::pair<double, double>, ProtocolResult>> rec;
  if (!conds.empty()) {
    std::vector<std::vector<std::string>> rows;
    std::set<double> sigmas;
    for (const auto& c : conds) {
      TrajectoryDataset sub = ctx.all.subset(c.rows);
      std::set<std::string> rules(sub.y.begin(), sub.y.end());
      double weights = NAN;
      if (sub.meta.count("weight_count")) {
        std::vector<double> kept;
        for (int64_t i = 0; i < sub.rows(); ++i)
          kept.push_back(std::ceil(c.frac * meta_real(sub, "weight_count", i, NAN)));
        std::sort(kept.begin(), kept.end());
        weights = kept[kept.size() / 2];
      }
      sigmas.insert(c.sigma);
      for (const auto& m : measures) {
        ProtocolResult r = runner.run(sub, protocol_options(p, classifier, m),
                                      fmt::format("recorded frac {} sigma {} {}", c.frac, c.sigma, m));
        rows.push_back({csv_number(c.frac), csv_number(c.sigma), m, std::to_string(rules.size()),
                        std::to_string(sub.rows()), csv_number(r.accuracy_mean), csv_number(r.accuracy_sem),
                        csv_number(1.0 / static_cast<double>(rules.size())), csv_number(weights)});
        rec[m].emplace(std::make_pair(c.frac, c.sigma), std::move(r));
      }
    }
    write_csv(ctx.dir / "noise_recorded.csv",
              {"obs_frac", "obs_stddev", "observables", "rules", "rows", "accuracy_mean", "accuracy_sem", "chance",
               "median_kept_synapses"},
              rows);
    std::vector<std::string> labels;
    for (int64_t i : conds.front().rows) labels.push_back(ctx.all.y[static_cast<std::size_t>(i)]);
    const std::vector<std::string> rule_set = class_names_of(labels);  // canonical order
    const double rchance = 1.0 / static_cast<double>(rule_set.size());
    std::vector<std::string> panels;
    for (const auto& m : measures) {
      svg::LinePlot l2;
      l2.title = pretty_measure(m);
      l2.x_label = "fraction of units recorded";
      l2.y_label = "test accuracy";
      l2.log_x = true;
      l2.references.push_back({rchance, "chance"});
      for (double s : sigmas) {
        svg::Line l;
        l.name = s == 0 ? "no noise" : fmt::format("noise σ = {}", s);
        for (const auto& [key, r] : rec.at(m)) {
          if (key.second != s) continue;
          l.x.push_back(key.first);
          l.y.push_back(r.accuracy_mean);
          const double se = std::isfinite(r.accuracy_sem) ? r.accuracy_sem : 0.0;
          l.lo.push_back(r.accuracy_mean - se);
          l.hi.push_back(r.accuracy_mean + se);
        }
        l2.lines.push_back(l);
      }
      panels.push_back(svg::line_plot(l2));
    }
    svg::write_svg(ctx.dir / "noise_recorded.svg",
                   svg::panels(panels, 2, fmt::format("Recorded conditions: {} ({} rows per condition)",
                                                      fmt::join(rule_set, " vs "), conds.front().rows.size())));
    out.figures.push_back({"noise_recorded.svg", "Accuracy against the fraction of units recorded, per noise level",
                           fmt::format("Tensor-level degradation recorded during training; rules {}; chance {:.2f}; "
                                       "mean ± s.e.m. over {} splits.", fmt::join(rule_set, ", "), rchance,
                                       p.get_int("splits"))});
    out.tables.push_back({"noise_recorded.csv", "Accuracy per recorded condition (tensor-level)"});
  } else {
    out.notes.push_back("No recorded measurement conditions in the dataset (every run recorded only 'full'); the "
                        "tensor-level part was skipped. Record them with observables.parameters.subsample_fractions "
                        "and noise_stddevs.");
  }

  // Findings.
  if (!rec.empty() && rec.count("act") && rec.count("weight")) {
    auto degraded = [&](const std::string& m) {
      std::vector<double> v;
      for (const auto& [key, r] : rec.at(m))
        if (key.first < 1.0 || key.second > 0) v.push_back(r.accuracy_mean);
      return v.empty() ? NAN : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    };
    auto clean = [&](const std::string& m) {
      auto it = rec.at(m).find({1.0, 0.0});
      return it == rec.at(m).end() ? NAN : it->second.accuracy_mean;
    };
    const double a = degraded("act"), w = degraded("weight");
    out.findings.push_back(
        {"Statistics of activations are more robust to measurement noise and unit undersampling than statistics of "
         "the weights.", "paper",
         fmt::format("Mean accuracy over the degraded recorded conditions: activations {:.3f} (clean {:.3f}), weights "
                     "{:.3f} (clean {:.3f}).", a, clean("act"), w, clean("weight")),
         a > w ? "agrees" : "disagrees"});
  }
  if (stat.count("act") && stat.count("weight") && stat.count("grad") && variances.size() >= 2) {
    auto at = [&](const std::string& m, std::size_t i) { return stat.at(m)[i].second.accuracy_mean; };
    const std::size_t last = variances.size() - 1;
    std::string best;
    double b = -INFINITY;
    for (const char* m : {"weight", "act", "grad"})
      if (at(m, last) > b) {
        b = at(m, last);
        best = m;
      }
    const double dw = at("weight", 0) - at("weight", last), da = at("act", 0) - at("act", last),
                 dg = at("grad", 0) - at("grad", last);
    const std::string measured = fmt::format(
        "From variance {} to {}: weights {:.3f} -> {:.3f}, activations {:.3f} -> {:.3f}, activity change {:.3f} -> "
        "{:.3f}.", variances.front(), variances.back(), at("weight", 0), at("weight", last), at("act", 0),
        at("act", last), at("grad", 0), at("grad", last));
    out.findings.push_back({"Activations are the most robust of the three measures to (statistic-level) noise.",
                            "report", measured, best == "act" ? "agrees" : "disagrees"});
    out.findings.push_back({"With statistic-level noise, accuracy from weights and activity changes drops markedly "
                            "while accuracy from activations stays high.", "report", measured,
                            dw > 0.1 && dg > 0.1 && da < std::min(dw, dg) ? "agrees"
                            : da < std::min(dw, dg)                       ? "partly"
                                                                          : "disagrees"});
  }
  return out;
}

}  // namespace lrid

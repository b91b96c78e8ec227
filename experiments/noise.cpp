// Measurement noise and unit undersampling (science.md §7(d)), both labelled:
//  - statistic-level (the reproduction report's variant, §4.6): Gaussian noise
//    of each variance added to the stored statistics before normalisation;
//  - tensor-level (the original design, §4): the runs' own recorded
//    measurement conditions (noise on the raw tensors, then ceil(frac·n) kept
//    units), one protocol run per condition and measure, on the runs that
//    recorded them (in the sweeps: FA and IA, so chance is 0.5).
// Writes noise_statistic.csv, noise_recorded.csv, noise_statistic.svg and noise_recorded.svg.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "classifiers/registry.h"
#include "core/csv.h"
#include "experiments/experiments.h"
#include "experiments/protocol_runner.h"
#include "experiments/selection.h"
#include "experiments/verdicts.h"
#include "figures/svg.h"

namespace lrid {
namespace {

// One recorded measurement condition: the kept fraction of units, the noise σ, and its rows.
struct Condition {
  double frac, sigma;
  std::vector<int64_t> rows;
};

using Level = std::pair<double, double>;  // (obs_frac, obs_stddev)
// Observable set -> (variance, result) in the variances' order.
using StatisticResults = std::map<std::string, std::vector<std::pair<double, ProtocolResult>>>;
// Observable set -> condition -> result.
using RecordedResults = std::map<std::string, std::map<Level, ProtocolResult>>;

double meta_real(const TrajectoryDataset& d, const std::string& key, int64_t row, double none) {
  auto it = d.meta.find(key);
  if (it == d.meta.end()) return none;
  double v = NAN;
  const MetaColumn& c = it->second;
  if (c.kind == MetaColumn::Kind::kReal) v = c.reals[static_cast<std::size_t>(row)];
  else if (c.kind == MetaColumn::Kind::kInt) v = static_cast<double>(c.ints[static_cast<std::size_t>(row)]);
  return std::isfinite(v) ? v : none;
}

// The recorded conditions: every row of the runs that recorded more than the
// full condition, grouped by (obs_frac, obs_stddev); none unless at least two.
std::vector<Condition> recorded_conditions(const TrajectoryDataset& all) {
  if (!all.meta.count("condition") || !all.meta.count("run_id")) return {};
  std::set<std::string> runs;
  for (int64_t i = 0; i < all.rows(); ++i)
    if (all.meta.at("condition").as_string(i) != "full") runs.insert(all.meta.at("run_id").as_string(i));
  std::map<Level, std::vector<int64_t>> by;
  for (int64_t i = 0; i < all.rows(); ++i)
    if (runs.count(all.meta.at("run_id").as_string(i)))
      by[{meta_real(all, "obs_frac", i, 1.0), meta_real(all, "obs_stddev", i, 0.0)}].push_back(i);
  std::vector<Condition> conds;
  for (auto& [k, rows] : by) conds.push_back({k.first, k.second, rows});
  return conds.size() < 2 ? std::vector<Condition>{} : conds;
}

// A point of an accuracy line at x, with a band of ± s.e.m. (none when it is not finite).
void add_point(svg::Line& l, double x, const ProtocolResult& r) {
  l.x.push_back(x);
  l.y.push_back(r.accuracy_mean);
  const double se = std::isfinite(r.accuracy_sem) ? r.accuracy_sem : 0.0;
  l.lo.push_back(r.accuracy_mean - se);
  l.hi.push_back(r.accuracy_mean + se);
}

svg::LinePlot accuracy_plot(const std::string& title, const std::string& x_label, double chance) {
  svg::LinePlot lp;
  lp.title = title;
  lp.x_label = x_label;
  lp.y_label = "test accuracy";
  lp.references.push_back({chance, "chance"});
  return lp;
}

// Statistic-level noise of each variance on each observable set; writes noise_statistic.csv.
StatisticResults run_statistic(const ExperimentContext& ctx, const NoiseOptions& o, ProtocolRunner& runner) {
  StatisticResults stat;
  std::vector<std::vector<std::string>> rows;
  const double chance = chance_level(ctx.data);
  for (const auto& m : ctx.common.measures)
    for (double v : o.variances) {
      ProtocolOptions po = protocol_options(ctx.common, o.classifier, m);
      po.stat_noise_var = v;
      ProtocolResult r = runner.run(ctx.data, po, fmt::format("statistic noise {} {}", v, m));
      rows.push_back({m, csv_number(v), csv_number(r.accuracy_mean), csv_number(r.accuracy_sem), csv_number(chance)});
      stat[m].emplace_back(v, std::move(r));
    }
  write_csv(ctx.dir / "noise_statistic.csv", {"observables", "variance", "accuracy_mean", "accuracy_sem", "chance"},
            rows);
  return stat;
}

void statistic_figure(const ExperimentContext& ctx, const NoiseOptions& o, const StatisticResults& stat,
                      ExperimentOutput& out) {
  svg::LinePlot lp = accuracy_plot("Statistic-level noise (report variant)", "noise variance added to the statistics",
                                   chance_level(ctx.data));
  for (const auto& m : ctx.common.measures) {
    svg::Line l;
    l.name = pretty_measure(m);
    for (const auto& [v, r] : stat.at(m)) add_point(l, v, r);
    lp.lines.push_back(l);
  }
  svg::write_svg(ctx.dir / "noise_statistic.svg", svg::line_plot(lp));
  out.figures.push_back({"noise_statistic.svg", "Accuracy against statistic-level noise",
                         fmt::format("{} on the {} observable sets with Gaussian noise of variance {} added to every "
                                     "selected statistic (seeded), before z-scoring; mean ± s.e.m. over {} splits.",
                                     o.classifier, ctx.common.measures.size(), fmt::join(o.variances, ", "),
                                     ctx.common.splits)});
  out.tables.push_back({"noise_statistic.csv", "Accuracy per noise variance (statistic-level)"});
}

// Median over a condition's rows of the synapses kept, ceil(frac · weight_count); NaN without the column.
double median_kept_synapses(const TrajectoryDataset& sub, double frac) {
  if (!sub.meta.count("weight_count")) return NAN;
  std::vector<double> kept;
  for (int64_t i = 0; i < sub.rows(); ++i) kept.push_back(std::ceil(frac * meta_real(sub, "weight_count", i, NAN)));
  std::sort(kept.begin(), kept.end());
  return kept[kept.size() / 2];
}

// Each recorded condition on each observable set; writes noise_recorded.csv.
RecordedResults run_recorded(const ExperimentContext& ctx, const NoiseOptions& o, const std::vector<Condition>& conds,
                             ProtocolRunner& runner) {
  RecordedResults rec;
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : conds) {
    const TrajectoryDataset sub = ctx.all.subset(c.rows);
    const std::set<std::string> rules(sub.y.begin(), sub.y.end());
    const double synapses = median_kept_synapses(sub, c.frac);
    for (const auto& m : ctx.common.measures) {
      ProtocolResult r = runner.run(sub, protocol_options(ctx.common, o.classifier, m),
                                    fmt::format("recorded frac {} sigma {} {}", c.frac, c.sigma, m));
      rows.push_back({csv_number(c.frac), csv_number(c.sigma), m, std::to_string(rules.size()),
                      std::to_string(sub.rows()), csv_number(r.accuracy_mean), csv_number(r.accuracy_sem),
                      csv_number(1.0 / static_cast<double>(rules.size())), csv_number(synapses)});
      rec[m].emplace(Level{c.frac, c.sigma}, std::move(r));
    }
  }
  write_csv(ctx.dir / "noise_recorded.csv",
            {"obs_frac", "obs_stddev", "observables", "rules", "rows", "accuracy_mean", "accuracy_sem", "chance",
             "median_kept_synapses"},
            rows);
  return rec;
}

// Accuracy against the fraction of units recorded (log axis), one line per noise σ.
std::string recorded_panel(const std::string& m, const std::map<Level, ProtocolResult>& by_level,
                           const std::set<double>& sigmas, double chance) {
  svg::LinePlot lp = accuracy_plot(pretty_measure(m), "fraction of units recorded", chance);
  lp.log_x = true;
  for (double s : sigmas) {
    svg::Line l;
    l.name = s == 0 ? "no noise" : fmt::format("noise σ = {}", s);
    for (const auto& [level, r] : by_level)
      if (level.second == s) add_point(l, level.first, r);
    lp.lines.push_back(l);
  }
  return svg::line_plot(lp);
}

void recorded_figure(const ExperimentContext& ctx, const std::vector<Condition>& conds, const RecordedResults& rec,
                     ExperimentOutput& out) {
  std::set<double> sigmas;
  for (const auto& c : conds) sigmas.insert(c.sigma);
  std::vector<std::string> labels;
  for (int64_t i : conds.front().rows) labels.push_back(ctx.all.y[static_cast<std::size_t>(i)]);
  const std::vector<std::string> rule_set = class_names_of(labels);  // canonical order
  const double chance = 1.0 / static_cast<double>(rule_set.size());
  std::vector<std::string> panels;
  for (const auto& m : ctx.common.measures) panels.push_back(recorded_panel(m, rec.at(m), sigmas, chance));
  svg::write_svg(ctx.dir / "noise_recorded.svg",
                 svg::panels(panels, 2, fmt::format("Recorded conditions: {} ({} rows per condition)",
                                                    fmt::join(rule_set, " vs "), conds.front().rows.size())));
  out.figures.push_back({"noise_recorded.svg", "Accuracy against the fraction of units recorded, per noise level",
                         fmt::format("Tensor-level degradation recorded during training; rules {}; chance {:.2f}; "
                                     "mean ± s.e.m. over {} splits.", fmt::join(rule_set, ", "), chance,
                                     ctx.common.splits)});
  out.tables.push_back({"noise_recorded.csv", "Accuracy per recorded condition (tensor-level)"});
}

// Activations keep more accuracy than weights over the degraded recorded conditions.
void recorded_finding(const RecordedResults& rec, ExperimentOutput& out) {
  if (!rec.count("act") || !rec.count("weight")) return;
  auto degraded = [&](const std::string& m) {
    std::vector<double> v;
    for (const auto& [level, r] : rec.at(m))
      if (level.first < 1.0 || level.second > 0) v.push_back(r.accuracy_mean);
    return v.empty() ? NAN : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  };
  auto clean = [&](const std::string& m) {
    auto it = rec.at(m).find({1.0, 0.0});
    return it == rec.at(m).end() ? NAN : it->second.accuracy_mean;
  };
  const double a = degraded("act"), w = degraded("weight");
  // Robustness is what a measure keeps of its clean accuracy, not its level.
  const double ka = verdicts::kept_share(a, clean("act")), kw = verdicts::kept_share(w, clean("weight"));
  out.findings.push_back(
      {"Statistics of activations are more robust to measurement noise and unit undersampling than statistics of "
       "the weights.", "paper",
       fmt::format("Mean accuracy over the degraded recorded conditions: activations {:.3f} (clean {:.3f}, kept "
                   "{:.2f}), weights {:.3f} (clean {:.3f}, kept {:.2f}). Threshold: activations keep a larger share "
                   "of their clean accuracy than weights.",
                   a, clean("act"), ka, w, clean("weight"), kw),
       std::isfinite(ka) && std::isfinite(kw) ? (ka > kw ? "agrees" : "disagrees") : "inconclusive"});
}

// At the largest variance activations are the most accurate, and they drop least from the smallest.
void statistic_findings(const StatisticResults& stat, const std::vector<double>& variances, ExperimentOutput& out) {
  if (!stat.count("act") || !stat.count("weight") || !stat.count("grad") || variances.size() < 2) return;
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
  // "Most robust": the most accurate at the largest variance, and the smallest drop from the smallest.
  const bool highest = best == "act", least_drop = da < std::min(dw, dg);
  out.findings.push_back({"Activations are the most robust of the three measures to (statistic-level) noise.",
                          "report",
                          fmt::format("{} Parts: activations the most accurate at the largest variance ({}); their "
                                      "drop the smallest ({:.3f} against weights {:.3f}, activity change {:.3f}) ({}).",
                                      measured, highest ? "holds" : "fails", da, dw, dg, least_drop ? "holds" : "fails"),
                          verdicts::share_verdict(highest + least_drop, 2)});
  // Three parts: weights drop markedly, activity changes drop markedly, activations stay high.
  const double kept_act = verdicts::kept_share(at("act", last), at("act", 0));
  const bool stays = std::isfinite(kept_act) && kept_act >= verdicts::kStaysHigh;
  const int held = (dw > verdicts::kMarkedDrop) + (dg > verdicts::kMarkedDrop) + stays;
  out.findings.push_back({"With statistic-level noise, accuracy from weights and activity changes drops markedly "
                          "while accuracy from activations stays high.", "report",
                          fmt::format("{} Thresholds: a marked drop is more than {:.2f} (weights {:.3f}, activity "
                                      "change {:.3f}); staying high keeps at least {:.0f}% of the noise-free accuracy "
                                      "(activations keep {:.0f}%).",
                                      measured, verdicts::kMarkedDrop, dw, dg, 100 * verdicts::kStaysHigh,
                                      100 * kept_act),
                          verdicts::share_verdict(held, 3)});
}

void declare_noise(OptionsBinding<NoiseOptions>& b) {
  b.add("classifier", &NoiseOptions::classifier).one_of(classifier_registry().names());
  b.add("variances", &NoiseOptions::variances).at_least(0).describe("statistic-level noise variances");
  b.add("recorded", &NoiseOptions::recorded).describe("also classify the recorded measurement conditions");
}

}  // namespace

const OptionsBinding<NoiseOptions>& noise_binding() { return bound_once<NoiseOptions, declare_noise>(); }


ExperimentOutput run_noise(const ExperimentContext& ctx, const NoiseOptions& o) {
  ExperimentOutput out;
  out.title = "Measurement noise and unit undersampling";
  out.description =
      "Statistic-level: Gaussian noise of each variance added to the stored statistics (the reproduction report's "
      "variant; it hits small-magnitude statistics hardest). Tensor-level: the conditions recorded during training "
      "(noise on the raw tensors, then a fixed seeded subset of the units).";
  const std::vector<Condition> conds = o.recorded ? recorded_conditions(ctx.all) : std::vector<Condition>{};
  const auto n_measures = static_cast<int64_t>(ctx.common.measures.size());
  ProtocolRunner runner("noise", (static_cast<int64_t>(o.variances.size() + conds.size())) * n_measures, ctx.progress);
  const StatisticResults stat = run_statistic(ctx, o, runner);
  statistic_figure(ctx, o, stat, out);
  RecordedResults rec;
  if (!conds.empty()) {
    rec = run_recorded(ctx, o, conds, runner);
    recorded_figure(ctx, conds, rec, out);
  } else {
    out.notes.push_back("No recorded measurement conditions in the dataset (every run recorded only 'full'); the "
                        "tensor-level part was skipped. Record them with observables.parameters.subsample_fractions "
                        "and noise_stddevs.");
  }
  recorded_finding(rec, out);
  statistic_findings(stat, o.variances, out);
  return out;
}

}  // namespace lrid

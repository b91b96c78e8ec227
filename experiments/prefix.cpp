// How early can a rule be told (identification issue; science.md §7 leaves it
// open): the protocol on trajectory prefixes, the first k record points for
// every k (or the given lengths), per observable set, with the common
// (seed-grouped by default) splits. The fraction of training observed at k is
// prefix_fraction (classifiers/prefix_classifiers.h).
// The earliest fraction of a set is that of the first k from which every
// longer prefix keeps at least `share` of the full trajectory's accuracy.
// Writes prefix.csv (accuracy per k and set), prefix_recall.csv (per-rule
// recall of the split-averaged confusion), prefix_earliest.csv and prefix.svg.
#include <fmt/format.h>

#include <cmath>
#include <map>

#include "classifiers/prefix_classifiers.h"
#include "classifiers/registry.h"
#include "core/csv.h"
#include "core/errors.h"
#include "experiments/experiments.h"
#include "experiments/protocol_runner.h"
#include "experiments/selection.h"
#include "figures/svg.h"

namespace lrid {
namespace {

// Accuracy within this distance of chance counts as "cannot tell" at the first point.
constexpr double kChanceMargin = 0.10;
// A set with full-trajectory accuracy below chance + this has nothing to tell early.
constexpr double kInformativeMargin = 0.10;

// One observable set's accuracies over the prefixes.
struct PrefixCurve {
  std::vector<int64_t> k;
  std::vector<double> fraction, epoch, mean, sem;
  std::vector<std::vector<double>> recall;  // [prefix][rule]
};

struct Earliest {
  int64_t k = -1;  // -1: only the full trajectory (or none) reaches the threshold
  double fraction = NAN, accuracy = NAN, full = NAN;
};

// The first prefix from which every longer one keeps `share` of the longest prefix's accuracy.
Earliest earliest(const PrefixCurve& c, double share) {
  Earliest e;
  e.full = c.mean.back();
  const double threshold = share * e.full;
  for (std::size_t i = c.k.size(); i-- > 0;) {
    if (c.mean[i] < threshold) break;
    e.k = c.k[i];
    e.fraction = c.fraction[i];
    e.accuracy = c.mean[i];
  }
  return e;
}

std::map<std::string, PrefixCurve> run_prefixes(const ExperimentContext& ctx, const PrefixOptions& o,
                                                const std::vector<int64_t>& lengths,
                                                std::vector<std::string>& rule_names) {
  const TrajectoryDataset& d = ctx.data;
  ProtocolRunner runner("prefix", static_cast<int64_t>(lengths.size() * ctx.common.measures.size()), ctx.progress);
  std::map<std::string, PrefixCurve> curves;
  std::vector<std::vector<std::string>> rows, recall_rows;
  for (const auto& m : ctx.common.measures)
    for (int64_t k : lengths) {
      ProtocolOptions po = protocol_options(ctx.common, o.classifier, m);
      po.time_points = prefix_time_points(k);
      const ProtocolResult r = runner.run(d, po, fmt::format("first {} points, {}", k, m));
      const double epoch = d.time_epochs[k - 1].item<double>();
      const double fraction = prefix_fraction(d, k);
      PrefixCurve& c = curves[m];
      c.k.push_back(k);
      c.epoch.push_back(epoch);
      c.fraction.push_back(fraction);
      c.mean.push_back(r.accuracy_mean);
      c.sem.push_back(r.accuracy_sem);
      const Confusion rn = row_normalised(r.mean_confusion);
      std::vector<double> rec;
      for (std::size_t i = 0; i < r.class_names.size(); ++i) {
        rec.push_back(rn[i][i]);
        recall_rows.push_back({std::to_string(k), csv_number(fraction), m, r.class_names[i], csv_number(rn[i][i])});
      }
      c.recall.push_back(rec);
      rule_names = r.class_names;
      rows.push_back({std::to_string(k), csv_number(epoch), csv_number(fraction), m, csv_number(r.accuracy_mean),
                      csv_number(r.accuracy_sem)});
    }
  runner.finish();
  write_csv(ctx.dir / "prefix.csv", {"k", "epoch", "fraction", "observables", "accuracy_mean", "accuracy_sem"}, rows);
  write_csv(ctx.dir / "prefix_recall.csv", {"k", "fraction", "observables", "rule", "recall"}, recall_rows);
  return curves;
}

std::string curve_plot(const ExperimentContext& ctx, const std::map<std::string, PrefixCurve>& curves,
                       const std::map<std::string, Earliest>& first) {
  svg::LinePlot lp;
  lp.title = "Accuracy against the share of training observed";
  lp.x_label = "training observed (% of the run's steps)";
  lp.y_label = "test accuracy";
  lp.y_min = 0;
  lp.y_max = 1;
  lp.references.push_back({chance_level(ctx.data), "chance"});
  for (const auto& m : ctx.common.measures) {
    const PrefixCurve& c = curves.at(m);
    svg::Line l;
    const Earliest& e = first.at(m);
    l.name = e.k > 0 ? fmt::format("{} (90%: {:.0f}%)", pretty_measure(m), 100 * e.fraction) : pretty_measure(m);
    for (std::size_t i = 0; i < c.k.size(); ++i) {
      l.x.push_back(100.0 * c.fraction[i]);
      l.y.push_back(c.mean[i]);
      l.lo.push_back(c.mean[i] - c.sem[i]);
      l.hi.push_back(c.mean[i] + c.sem[i]);
    }
    lp.lines.push_back(l);
  }
  return svg::line_plot(lp);
}

// Per-rule recall of the first observable set against the prefix: which rules are told first.
std::string recall_plot(const ExperimentContext& ctx, const PrefixCurve& c, const std::vector<std::string>& rules,
                        const std::string& m) {
  svg::LinePlot lp;
  lp.title = fmt::format("Recall per rule, {}", pretty_measure(m));
  lp.x_label = "training observed (%)";
  lp.y_label = "recall";
  lp.y_min = 0;
  lp.y_max = 1;
  lp.references.push_back({chance_level(ctx.data), "chance"});
  for (std::size_t r = 0; r < rules.size(); ++r) {
    svg::Line l;
    l.name = rules[r];
    for (std::size_t i = 0; i < c.k.size(); ++i) {
      l.x.push_back(100.0 * c.fraction[i]);
      l.y.push_back(c.recall[i][r]);
    }
    lp.lines.push_back(l);
  }
  return svg::line_plot(lp);
}

// "At initialisation nothing can be told": the first point alone stays within kChanceMargin of chance.
void initial_point_finding(const ExperimentContext& ctx, const std::map<std::string, PrefixCurve>& curves,
                           ExperimentOutput& out) {
  const double chance = chance_level(ctx.data);
  std::string measured;
  bool all_near = true, any = false;
  for (const auto& m : ctx.common.measures) {
    const PrefixCurve& c = curves.at(m);
    if (c.k.front() != 1) continue;
    any = true;
    all_near = all_near && std::abs(c.mean.front() - chance) <= kChanceMargin;
    measured += fmt::format("{}{} {:.3f}", measured.empty() ? "" : ", ", pretty_measure(m), c.mean.front());
  }
  if (!any) return;
  out.findings.push_back(
      {"No rule can be told at initialisation: every rule of a seed group starts from the same weights, so the first "
       "record point alone leaves every observable set at chance.",
       "this work",
       fmt::format("Accuracy on the first point: {} (chance {:.3f}; threshold: within {:.2f} of chance for every set).",
                   measured, chance, kChanceMargin),
       all_near ? "agrees" : "disagrees"});
}

// "The rule can be named before training ends": each set reaches `share` of its full accuracy before the last point.
void early_finding(const ExperimentContext& ctx, const PrefixOptions& o, const std::map<std::string, PrefixCurve>& curves,
                   const std::map<std::string, Earliest>& first, ExperimentOutput& out) {
  const double chance = chance_level(ctx.data);
  int informative = 0, early = 0;
  std::string measured;
  for (const auto& m : ctx.common.measures) {
    const Earliest& e = first.at(m);
    const PrefixCurve& c = curves.at(m);
    const bool tells = e.full >= chance + kInformativeMargin;
    informative += tells;
    const bool before_end = tells && e.k > 0 && e.k < c.k.back();
    early += before_end;
    measured += fmt::format("{}{}: full {:.3f}, {:.0f}% of it from {} ({} points)", measured.empty() ? "" : "; ",
                            pretty_measure(m), e.full, 100 * o.share,
                            e.k > 0 ? fmt::format("{:.0f}% of training", 100 * e.fraction) : std::string("never"),
                            e.k > 0 ? std::to_string(e.k) : std::string("-"));
  }
  const int n = static_cast<int>(ctx.common.measures.size());
  out.findings.push_back(
      {fmt::format("A rule can be named before training ends: every observable set reaches {:.0f}% of its "
                   "full-trajectory accuracy before the last record point.",
                   100 * o.share),
       "this work",
       fmt::format("{}. Thresholds: {:.0f}% of the full-trajectory accuracy, kept at every longer prefix; a set counts "
                   "only if its full accuracy is at least chance + {:.2f} ({:.3f}).",
                   measured, 100 * o.share, kInformativeMargin, chance + kInformativeMargin),
       informative == 0 ? "inconclusive" : early == n ? "agrees" : early > 0 ? "partly" : "disagrees"});
}

void declare_prefix(OptionsBinding<PrefixOptions>& b) {
  b.add("classifier", &PrefixOptions::classifier).one_of(classifier_registry().names())
      .describe("the reference is the random forest");
  b.add("lengths", &PrefixOptions::lengths).at_least(1)
      .describe("prefix lengths k (first k record points), ascending; empty: every k = 1..T");
  b.add("share", &PrefixOptions::share).above(0).at_most(1)
      .describe("the share of the full-trajectory accuracy that 'earliest' asks for");
}

}  // namespace

const OptionsBinding<PrefixOptions>& prefix_binding() { return bound_once<PrefixOptions, declare_prefix>(); }

ExperimentOutput run_prefix(const ExperimentContext& ctx, const PrefixOptions& o) {
  const TrajectoryDataset& d = ctx.data;
  std::vector<int64_t> lengths = prefix_lengths(o.lengths, d.time_points());
  if (lengths.back() != d.time_points()) lengths.push_back(d.time_points());  // the full trajectory: the reference
  std::vector<std::string> rules;
  const auto curves = run_prefixes(ctx, o, lengths, rules);
  std::map<std::string, Earliest> first;
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : ctx.common.measures) {
    first[m] = earliest(curves.at(m), o.share);
    const Earliest& e = first[m];
    rows.push_back({m, csv_number(e.full), csv_number(o.share * e.full), e.k > 0 ? std::to_string(e.k) : "",
                    csv_number(e.fraction), csv_number(e.k > 0 ? d.time_epochs[e.k - 1].item<double>() : NAN),
                    csv_number(e.accuracy)});
  }
  write_csv(ctx.dir / "prefix_earliest.csv",
            {"observables", "full_accuracy", "threshold", "earliest_k", "earliest_fraction", "earliest_epoch",
             "accuracy_at_earliest"},
            rows);
  ExperimentOutput out;
  out.title = "How early can a rule be told";
  out.description = fmt::format(
      "{} trained and tested on the first k of the {} record points (splits by {}), for {} prefix lengths: accuracy "
      "against the share of training observed, and the earliest share from which every longer prefix keeps {:.0f}% "
      "of the full trajectory's accuracy. Lines: mean ± s.e.m. over splits.",
      o.classifier == PrefixOptions{}.classifier ? classifier_spec(o.classifier).label : o.classifier, d.time_points(),
      ctx.common.group_by, lengths.size(), 100 * o.share);
  svg::write_svg(ctx.dir / "prefix.svg", curve_plot(ctx, curves, first));
  const std::string m0 = ctx.common.measures.front();
  svg::write_svg(ctx.dir / "prefix_recall.svg", recall_plot(ctx, curves.at(m0), rules, m0));
  out.figures = {{"prefix.svg", "Accuracy against the share of training observed", out.description},
                 {"prefix_recall.svg", fmt::format("Recall per rule against the share of training observed ({})",
                                                   pretty_measure(m0)),
                  "Per-rule recall of the split-averaged confusion matrix: which rules are told first."}};
  out.tables = {{"prefix_earliest.csv", "Earliest share of training at which each observable set is identified"},
                {"prefix.csv", "Accuracy per prefix and observable set"},
                {"prefix_recall.csv", "Recall per rule, prefix and observable set"}};
  initial_point_finding(ctx, curves, out);
  early_finding(ctx, o, curves, first, out);
  return out;
}

}  // namespace lrid

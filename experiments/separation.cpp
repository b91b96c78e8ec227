// Quantifying separation (science.md §7(a)): each classifier on each observable
// set, test accuracy (mean ± s.e.m. over the splits) and the split-averaged
// confusion matrix, row-normalised. Splits are grouped (common group_by,
// seed by default, §6.9); then every classifier also runs on the first
// observable set with the paper's row-level splits, and leak.csv puts the two
// side by side. Writes accuracy.csv, confusion.csv, leak.csv,
// pair_confusion.csv, each protocol's full results under runs/, accuracy.svg
// and confusion.svg (panels in SeparationOptions::confusion_order).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "classifiers/registry.h"
#include "core/csv.h"
#include "experiments/experiments.h"
#include "experiments/protocol_runner.h"
#include "experiments/selection.h"
#include "experiments/verdicts.h"
#include "figures/svg.h"

namespace lrid {
namespace {

using Cell = std::pair<std::string, std::string>;  // (classifier, observable set)
using Results = std::map<Cell, ProtocolResult>;

// Rule pairs whose symmetric confusion is tabulated (the report's two hard pairs).
const std::vector<std::pair<std::string, std::string>> kRulePairs = {{"adam", "sgdm"}, {"ia", "fa"}};

std::string classifier_label(const std::string& classifier) { return classifier_spec(classifier).label; }

bool in_list(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// Symmetric confusion rate of rules a and b: (C[a][b] + C[b][a]) / (rows of a + rows of b); NaN if absent.
double pair_rate(const ProtocolResult& r, const std::string& a, const std::string& b) {
  const auto& names = r.class_names;
  auto ia = std::find(names.begin(), names.end(), a) - names.begin();
  auto ib = std::find(names.begin(), names.end(), b) - names.begin();
  if (ia == static_cast<long>(names.size()) || ib == static_cast<long>(names.size())) return NAN;
  const Confusion& c = r.mean_confusion;
  double ra = 0, rb = 0;
  for (double v : c[static_cast<std::size_t>(ia)]) ra += v;
  for (double v : c[static_cast<std::size_t>(ib)]) rb += v;
  return (c[static_cast<std::size_t>(ia)][static_cast<std::size_t>(ib)] +
          c[static_cast<std::size_t>(ib)][static_cast<std::size_t>(ia)]) / (ra + rb);
}

// The protocol on every (classifier, observable set); each run's full results under runs/.
Results run_all(const ExperimentContext& ctx, const SeparationOptions& o) {
  const auto& measures = ctx.common.measures;
  ProtocolRunner runner("separation", static_cast<int64_t>(o.classifiers.size() * measures.size()), ctx.progress);
  Results res;
  for (const auto& c : o.classifiers)
    for (const auto& m : measures) {
      ProtocolResult r = runner.run(ctx.data, protocol_options(ctx.common, c, m), c + "/" + m);
      write_results(r, ctx.data, ctx.dir / "runs" / fmt::format("{}_{}", c, m), /*tree_importances=*/false);
      res.emplace(Cell{c, m}, std::move(r));
    }
  runner.finish();
  return res;
}

// The paper's row-level protocol (§6.1) for every classifier on the first observable set, when the
// splits are grouped: beside the grouped figure, it shows the size of the leak (§6.9). Empty when
// the splits are already by row.
Results run_row_level(const ExperimentContext& ctx, const SeparationOptions& o) {
  Results res;
  if (ctx.common.group_by == "row") return res;
  const std::string& first = ctx.common.measures.front();
  ProtocolRunner runner("separation, row-level splits", static_cast<int64_t>(o.classifiers.size()), ctx.progress);
  for (const auto& c : o.classifiers) {
    ProtocolOptions po = protocol_options(ctx.common, c, first);
    po.group_by = "row";
    ProtocolResult r = runner.run(ctx.data, po, c + "/" + first + " by row");
    write_results(r, ctx.data, ctx.dir / "runs" / fmt::format("{}_{}_by_row", c, first), /*tree_importances=*/false);
    res.emplace(Cell{c, first}, std::move(r));
  }
  runner.finish();
  return res;
}

// leak.csv: grouped and row-level accuracy side by side (their difference is the leak).
void write_leak_table(const ExperimentContext& ctx, const Results& res, const Results& by_row) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [cell, row] : by_row) {
    const ProtocolResult& grouped = res.at(cell);
    rows.push_back({cell.first, cell.second, ctx.common.group_by, csv_number(grouped.accuracy_mean),
                    csv_number(grouped.accuracy_sem), csv_number(row.accuracy_mean), csv_number(row.accuracy_sem),
                    csv_number(row.accuracy_mean - grouped.accuracy_mean)});
  }
  write_csv(ctx.dir / "leak.csv",
            {"classifier", "observables", "group_by", "grouped_accuracy_mean", "grouped_accuracy_sem",
             "row_accuracy_mean", "row_accuracy_sem", "row_minus_grouped"},
            rows);
}

// accuracy.csv, confusion.csv and pair_confusion.csv, rows in (classifier, observable set) order.
void write_separation_tables(const ExperimentContext& ctx, const SeparationOptions& o, const Results& res, double chance) {
  std::vector<std::vector<std::string>> acc_rows, conf_rows, pair_rows;
  for (const auto& c : o.classifiers)
    for (const auto& m : ctx.common.measures) {
      const ProtocolResult& r = res.at({c, m});
      acc_rows.push_back({c, m, ctx.common.group_by, std::to_string(r.observables.size()),
                          std::to_string(r.class_names.size()),
                          std::to_string(r.splits.size()), csv_number(r.accuracy_mean), csv_number(r.accuracy_sem),
                          csv_number(r.mean_accuracy), csv_number(chance), chosen_config(r),
                          csv_number(r.wall_time_s)});
      const Confusion norm = row_normalised(r.mean_confusion);
      for (std::size_t i = 0; i < r.class_names.size(); ++i)
        for (std::size_t j = 0; j < r.class_names.size(); ++j)
          conf_rows.push_back({c, m, r.class_names[i], r.class_names[j], csv_number(r.mean_confusion[i][j]),
                               csv_number(norm[i][j])});
      for (const auto& [a, b] : kRulePairs) pair_rows.push_back({c, m, a + "-" + b, csv_number(pair_rate(r, a, b))});
    }
  write_csv(ctx.dir / "accuracy.csv",
            {"classifier", "observables", "group_by", "n_observables", "rules", "splits", "accuracy_mean",
             "accuracy_sem",
             "mean_accuracy", "chance", "chosen_config", "wall_time_s"},
            acc_rows);
  write_csv(ctx.dir / "confusion.csv",
            {"classifier", "observables", "true", "predicted", "mean_count", "row_fraction"}, conf_rows);
  write_csv(ctx.dir / "pair_confusion.csv", {"classifier", "observables", "pair", "confusion_rate"}, pair_rows);
}

// accuracy.svg: grouped bars, observable sets x classifiers, with chance.
void accuracy_figure(const ExperimentContext& ctx, const SeparationOptions& o, const Results& res, double chance,
                     ExperimentOutput& out) {
  svg::BarChart bars;
  bars.title = "Test accuracy by observable set";
  bars.y_label = "test accuracy";
  bars.y_max = 1.0;
  for (const auto& m : ctx.common.measures) bars.groups.push_back(pretty_measure(m));
  for (const auto& c : o.classifiers) {
    svg::Bars b{classifier_label(c), {}, {}};
    for (const auto& m : ctx.common.measures) {
      const auto& r = res.at({c, m});
      b.value.push_back(r.accuracy_mean);
      b.error.push_back(r.accuracy_sem);
    }
    bars.series.push_back(b);
  }
  bars.references.push_back({chance, fmt::format("chance {:.2f}", chance)});
  svg::write_svg(ctx.dir / "accuracy.svg", svg::bar_chart(bars));
  out.figures.push_back({"accuracy.svg", "Test accuracy per classifier and observable set", out.description});
}

svg::HeatMap confusion_map(const std::string& classifier, const ProtocolResult& r) {
  svg::HeatMap h;
  h.title = fmt::format("{} (mean accuracy {:.3f})", classifier_label(classifier), r.mean_accuracy);
  h.rows = h.cols = r.class_names;
  h.values = row_normalised(r.mean_confusion);
  h.v_max = 1.0;
  h.row_label = "true rule";
  h.col_label = "predicted rule";
  h.cell = r.class_names.size() > 5 ? 38 : 48;
  return h;
}

// confusion.svg: one heat map per classifier on the first observable set (all 24 by default).
void confusion_figure(const ExperimentContext& ctx, const SeparationOptions& o, const Results& res,
                      ExperimentOutput& out) {
  const std::string& first = ctx.common.measures.front();
  std::vector<std::string> maps;
  for (const auto& c : o.confusion_order)
    if (in_list(o.classifiers, c)) maps.push_back(svg::heat_map(confusion_map(c, res.at({c, first}))));
  if (maps.empty()) return;
  svg::write_svg(ctx.dir / "confusion.svg",
                 svg::panels(maps, 3, fmt::format("Confusion matrices, {} observables, row-normalised",
                                                  pretty_measure(first))));
  out.figures.push_back({"confusion.svg", "Split-averaged confusion matrices",
                         "Rows: true rule; each row sums to 1. Title: accuracy of the split-averaged matrix "
                         "(mean_accuracy). Order as the reproduction report's Figure 1: Conv1D, RF, SVM."});
}

using verdicts::share_verdict;

// Each single measure (not "all") well above chance (verdicts.h), with every classifier.
void single_measure_finding(const ExperimentContext& ctx, const SeparationOptions& o, const Results& res, double chance,
                            ExperimentOutput& out) {
  int above = 0, total = 0;
  std::string worst;
  double worst_margin = INFINITY;
  for (const auto& c : o.classifiers)
    for (const auto& m : ctx.common.measures) {
      if (m == "all") continue;
      const auto& r = res.at({c, m});
      ++total;
      const double margin = r.accuracy_mean - chance;
      above += verdicts::well_above_chance(r.accuracy_mean, r.accuracy_sem, chance);
      if (margin < worst_margin) {
        worst_margin = margin;
        worst = fmt::format("{} on {}: {}", classifier_label(c), pretty_measure(m), accuracy_pm(r));
      }
    }
  if (total > 0)
    out.findings.push_back({"Each measure alone (weights, activations or activity changes) separates the rules well "
                            "above chance.", "paper",
                            fmt::format("{} of {} (classifier, single measure) runs are well above chance {:.2f} "
                                        "(threshold: at least chance + {:.2f}, and more than 2 s.e.m. above it); the "
                                        "weakest: {}.",
                                        above, total, chance, verdicts::kWellAboveChance, worst),
                            share_verdict(above, total)});
}

// Largest off-diagonal entry of the row-normalised confusion matrix: the worst confusion of one rule for another.
double worst_confusion(const ProtocolResult& r, std::string& which) {
  const Confusion norm = row_normalised(r.mean_confusion);
  double worst = 0;
  for (std::size_t i = 0; i < norm.size(); ++i)
    for (std::size_t j = 0; j < norm.size(); ++j)
      if (i != j && norm[i][j] > worst) {
        worst = norm[i][j];
        which = r.class_names[i] + " as " + r.class_names[j];
      }
  return worst;
}

// Both parts of the report's finding, on the first observable set: (1) the random forest at least as
// accurate as every other classifier, and (2) it rarely confuses rules: no true rule's row of its
// row-normalised confusion matrix sends more than kRareConfusion to any one other rule.
using verdicts::kRareConfusion;
void best_classifier_finding(const ExperimentContext& ctx, const SeparationOptions& o, const Results& res,
                             ExperimentOutput& out) {
  if (!in_list(o.classifiers, o.best_classifier)) return;
  const std::string m = ctx.common.measures.front();
  const auto& best = res.at({o.best_classifier, m});
  std::string others;
  bool is_best = true;
  for (const auto& c : o.classifiers) {
    if (c == o.best_classifier) continue;
    const auto& r = res.at({c, m});
    others += fmt::format("{}{} {}", others.empty() ? "" : ", ", classifier_label(c), accuracy_pm(r));
    is_best = is_best && best.accuracy_mean >= r.accuracy_mean;
  }
  std::string which;
  const double worst = worst_confusion(best, which);
  const bool rare = worst <= kRareConfusion;
  const bool compared = o.classifiers.size() >= 2;  // "best" is testable only against another classifier
  const int parts = compared ? 2 : 1;
  const int held = (compared && is_best ? 1 : 0) + (rare ? 1 : 0);
  out.findings.push_back(
      {"The random forest is the best classifier and rarely confuses rules.", "report",
       fmt::format("On {} ({}-grouped splits): random forest {}{}{} ({}); its worst confusion {:.2f} ({}), "
                   "threshold for \"rarely\": at most {:.2f} of any rule's rows given to one other rule ({}).",
                   pretty_measure(m), ctx.common.group_by, accuracy_pm(best), others.empty() ? "" : " against ",
                   others, !compared ? "no other classifier run" : is_best ? "best" : "not best", worst,
                   which.empty() ? "none" : which, kRareConfusion, rare ? "holds" : "fails"),
       share_verdict(held, parts)});
}

// Adam-SGDM confused more than IA-FA by each of the pair classifiers, on the first observable set.
void pair_confusion_finding(const ExperimentContext& ctx, const SeparationOptions& o, const Results& res,
                            ExperimentOutput& out) {
  const std::string& first = ctx.common.measures.front();
  std::string measured;
  int more = 0, n = 0;
  for (const auto& c : o.pair_classifiers) {
    if (!res.count({c, first})) continue;
    const auto& r = res.at({c, first});
    const double as = pair_rate(r, "adam", "sgdm"), fi = pair_rate(r, "ia", "fa");
    if (!std::isfinite(as) || !std::isfinite(fi)) continue;
    ++n;
    more += as > fi;
    measured += fmt::format("{}{}: Adam-SGDM {:.3f}, IA-FA {:.3f}", measured.empty() ? "" : "; ", classifier_label(c), as, fi);
  }
  if (n > 0)
    out.findings.push_back({"The SVM and the Conv1D network confuse Adam with SGDM more than IA with FA.", "report",
                            "Symmetric confusion rates on " + pretty_measure(first) + ": " + measured +
                                ". Threshold: Adam-SGDM above IA-FA for each classifier.",
                            share_verdict(more, n)});
}

void declare_separation(OptionsBinding<SeparationOptions>& b) {
  b.add("classifiers", &SeparationOptions::classifiers).one_of(classifier_registry().names())
      .describe("classifiers to compare");
}

}  // namespace

const OptionsBinding<SeparationOptions>& separation_binding() { return bound_once<SeparationOptions, declare_separation>(); }


ExperimentOutput run_separation(const ExperimentContext& ctx, const SeparationOptions& o) {
  const double chance = chance_level(ctx.data);
  const Results res = run_all(ctx, o);
  const Results by_row = run_row_level(ctx, o);
  write_separation_tables(ctx, o, res, chance);
  if (!by_row.empty()) write_leak_table(ctx, res, by_row);
  ExperimentOutput out;
  out.title = "Quantifying separation";
  out.description = fmt::format(
      "Each classifier on each observable set, {} category-balanced 75/25 splits by {} (science.md §6.9), inner "
      "5-fold grid search ({} grid). Bars: test accuracy, mean ± s.e.m. over splits; dashed line: chance ({:.3f}).",
      ctx.common.splits, ctx.common.group_by, ctx.common.grid, chance);
  accuracy_figure(ctx, o, res, chance, out);
  confusion_figure(ctx, o, res, out);
  out.tables = {{"accuracy.csv", "Test accuracy (mean ± s.e.m. over splits)"},
                {"pair_confusion.csv", "Symmetric confusion rates of Adam-SGDM and IA-FA"},
                {"confusion.csv", "Mean confusion matrices (counts and row fractions)"}};
  if (!by_row.empty()) {
    out.tables.push_back({"leak.csv", "Grouped against row-level (the paper's) splits: the size of the leak"});
    std::string leak;
    for (const auto& [cell, row] : by_row)
      leak += fmt::format("{}{} {:.3f} by {} against {:.3f} by row", leak.empty() ? "" : "; ",
                          classifier_label(cell.first), res.at(cell).accuracy_mean, ctx.common.group_by,
                          row.accuracy_mean);
    out.description += fmt::format(" The paper's row-level protocol on {}, beside it: {}.",
                                   pretty_measure(ctx.common.measures.front()), leak);
  }
  single_measure_finding(ctx, o, res, chance, out);
  best_classifier_finding(ctx, o, res, out);
  pair_confusion_finding(ctx, o, res, out);
  return out;
}

}  // namespace lrid

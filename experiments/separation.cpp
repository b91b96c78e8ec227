// Quantifying separation (science.md §7(a)): each classifier on each observable
// set, test accuracy (mean ± s.e.m. over the splits) and the split-averaged
// confusion matrix, row-normalised. Writes accuracy.csv, confusion.csv,
// pair_confusion.csv, each protocol's full results under runs/, accuracy.svg
// and confusion.svg (Conv1D, RF, SVM, as the reproduction report's Figure 1).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "experiments/experiments.h"
#include "figures/svg.h"

namespace lrid {
namespace {

const std::map<std::string, std::string> kClassifierNames = {{"rf", "Random forest"}, {"svm", "Linear SVM"},
                                                             {"conv1d", "Conv1D MLP"}};

std::string classifier_name(const std::string& c) {
  auto it = kClassifierNames.find(c);
  return it == kClassifierNames.end() ? c : it->second;
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

}  // namespace

Schema separation_schema() {
  return {strings_param("classifiers", {"rf", "svm", "conv1d"}).one_of({"rf", "svm", "conv1d"})
              .describe("classifiers to compare")};
}

ExperimentOutput run_separation(const ExperimentContext& ctx) {
  const Params& p = ctx.params;
  const auto classifiers = p.get_strings("classifiers");
  const auto measures = p.get_strings("measures");
  const double chance = chance_level(ctx.data);
  ProtocolRunner runner("separation", static_cast<int64_t>(classifiers.size() * measures.size()), ctx.progress);
  std::map<std::pair<std::string, std::string>, ProtocolResult> res;
  std::vector<std::vector<std::string>> acc_rows, conf_rows, pair_rows;
  for (const auto& c : classifiers)
    for (const auto& m : measures) {
      ProtocolResult r = runner.run(ctx.data, protocol_options(p, c, m), c + "/" + m);
      write_results(r, ctx.data, ctx.dir / "runs" / fmt::format("{}_{}", c, m), /*tree_importances=*/false);
      acc_rows.push_back({c, m, std::to_string(r.observables.size()), std::to_string(r.class_names.size()),
                          std::to_string(r.splits.size()), csv_number(r.accuracy_mean), csv_number(r.accuracy_sem),
                          csv_number(r.mean_accuracy), csv_number(chance), chosen_config(r),
                          csv_number(r.wall_time_s)});
      const Confusion norm = row_normalised(r.mean_confusion);
      for (std::size_t i = 0; i < r.class_names.size(); ++i)
        for (std::size_t j = 0; j < r.class_names.size(); ++j)
          conf_rows.push_back({c, m, r.class_names[i], r.class_names[j], csv_number(r.mean_confusion[i][j]),
                               csv_number(norm[i][j])});
      for (const auto& [a, b] : std::vector<std::pair<std::string, std::string>>{{"adam", "sgdm"}, {"ia", "fa"}})
        pair_rows.push_back({c, m, a + "-" + b, csv_number(pair_rate(r, a, b))});
      res.emplace(std::make_pair(c, m), std::move(r));
    }
  runner.finish();
  write_csv(ctx.dir / "accuracy.csv",
            {"classifier", "observables", "n_observables", "rules", "splits", "accuracy_mean", "accuracy_sem",
             "mean_accuracy", "chance", "chosen_config", "wall_time_s"},
            acc_rows);
  write_csv(ctx.dir / "confusion.csv",
            {"classifier", "observables", "true", "predicted", "mean_count", "row_fraction"}, conf_rows);
  write_csv(ctx.dir / "pair_confusion.csv", {"classifier", "observables", "pair", "confusion_rate"}, pair_rows);

  ExperimentOutput out;
  out.title = "Quantifying separation";
  out.description = fmt::format(
      "Each classifier on each observable set, {} category-balanced 75/25 splits, inner 5-fold grid search ({} grid). "
      "Bars: test accuracy, mean ± s.e.m. over splits; dashed line: chance ({:.3f}).",
      p.get_int("splits"), p.get_string("grid"), chance);
  // Plot 1: grouped bars, measure sets x classifiers.
  svg::BarChart bars;
  bars.title = "Test accuracy by observable set";
  bars.y_label = "test accuracy";
  bars.y_max = 1.0;
  for (const auto& m : measures) bars.groups.push_back(pretty_measure(m));
  for (const auto& c : classifiers) {
    svg::Bars b{classifier_name(c), {}, {}};
    for (const auto& m : measures) {
      const auto& r = res.at({c, m});
      b.value.push_back(r.accuracy_mean);
      b.error.push_back(r.accuracy_sem);
    }
    bars.series.push_back(b);
  }
  bars.references.push_back({chance, fmt::format("chance {:.2f}", chance)});
  svg::write_svg(ctx.dir / "accuracy.svg", svg::bar_chart(bars));
  out.figures.push_back({"accuracy.svg", "Test accuracy per classifier and observable set", out.description});
  // Plot 2: one confusion heat map per classifier on the first observable set (all 24 by default).
  std::vector<std::string> order;
  for (const char* c : {"conv1d", "rf", "svm"})
    if (std::find(classifiers.begin(), classifiers.end(), c) != classifiers.end()) order.push_back(c);
  std::vector<std::string> maps;
  for (const auto& c : order) {
    const auto& r = res.at({c, measures.front()});
    svg::HeatMap h;
    h.title = fmt::format("{} (mean accuracy {:.3f})", classifier_name(c), r.mean_accuracy);
    h.rows = h.cols = r.class_names;
    h.values = row_normalised(r.mean_confusion);
    h.v_max = 1.0;
    h.row_label = "true rule";
    h.col_label = "predicted rule";
    h.cell = r.class_names.size() > 5 ? 38 : 48;
    maps.push_back(svg::heat_map(h));
  }
  if (!maps.empty()) {
    svg::write_svg(ctx.dir / "confusion.svg",
                   svg::panels(maps, 3, fmt::format("Confusion matrices, {} observables, row-normalised",
                                                    pretty_measure(measures.front()))));
    out.figures.push_back({"confusion.svg", "Split-averaged confusion matrices",
                           "Rows: true rule; each row sums to 1. Title: accuracy of the split-averaged matrix "
                           "(mean_accuracy). Order as the reproduction report's Figure 1: Conv1D, RF, SVM."});
  }
  out.tables = {{"accuracy.csv", "Test accuracy (mean ± s.e.m. over splits)"},
                {"pair_confusion.csv", "Symmetric confusion rates of Adam-SGDM and IA-FA"},
                {"confusion.csv", "Mean confusion matrices (counts and row fractions)"}};

  // Findings.
  {
    int above = 0, total = 0;
    std::string worst;
    double worst_margin = INFINITY;
    for (const auto& c : classifiers)
      for (const auto& m : measures) {
        if (m == "all") continue;
        const auto& r = res.at({c, m});
        ++total;
        const double margin = r.accuracy_mean - 2 * (std::isfinite(r.accuracy_sem) ? r.accuracy_sem : 0) - chance;
        above += margin > 0;
        if (margin < worst_margin) {
          worst_margin = margin;
          worst = fmt::format("{} on {}: {}", classifier_name(c), pretty_measure(m), pm(r.accuracy_mean, r.accuracy_sem));
        }
      }
    if (total > 0)
      out.findings.push_back({"Each measure alone (weights, activations or activity changes) separates the rules well "
                              "above chance.", "paper",
                              fmt::format("{} of {} (classifier, single measure) runs are more than 2 s.e.m. above "
                                          "chance {:.2f}; the weakest: {}.", above, total, chance, worst),
                              above == total ? "agrees" : above > 0 ? "partly" : "disagrees"});
  }
  if (std::find(classifiers.begin(), classifiers.end(), "rf") != classifiers.end() && classifiers.size() > 1) {
    const std::string m = measures.front();
    const auto& rf = res.at({"rf", m});
    std::string others;
    bool best = true;
    for (const auto& c : classifiers) {
      if (c == "rf") continue;
      const auto& r = res.at({c, m});
      others += fmt::format("{}{} {}", others.empty() ? "" : ", ", classifier_name(c), pm(r.accuracy_mean, r.accuracy_sem));
      best = best && rf.accuracy_mean >= r.accuracy_mean;
    }
    out.findings.push_back({"The random forest is the best classifier and rarely confuses rules.", "report",
                            fmt::format("On {}: random forest {} against {}.", pretty_measure(m),
                                        pm(rf.accuracy_mean, rf.accuracy_sem), others),
                            best ? "agrees" : "disagrees"});
  }
  {
    std::string measured;
    int more = 0, n = 0;
    for (const char* c : {"svm", "conv1d"}) {
      if (!res.count({c, measures.front()})) continue;
      const auto& r = res.at({c, measures.front()});
      const double as = pair_rate(r, "adam", "sgdm"), fi = pair_rate(r, "ia", "fa");
      if (!std::isfinite(as) || !std::isfinite(fi)) continue;
      ++n;
      more += as > fi;
      measured += fmt::format("{}{}: Adam-SGDM {:.3f}, IA-FA {:.3f}", measured.empty() ? "" : "; ", classifier_name(c),
                              as, fi);
    }
    if (n > 0)
      out.findings.push_back({"The SVM and the Conv1D network confuse Adam with SGDM more than IA with FA.", "report",
                              "Symmetric confusion rates on " + pretty_measure(measures.front()) + ": " + measured + ".",
                              more == n ? "agrees" : more > 0 ? "partly" : "disagrees"});
  }
  return out;
}

}  // namespace lrid

// Gini feature importance (science.md §7(b)): the random forest per observable
// set; per split the per-tree importances are averaged, each observable's T
// time columns are summed, then mean ± s.e.m. over the splits. The one-hot
// position columns are reported separately. Also importance per time point
// (mean over splits) as a heat map. Writes importance.csv,
// importance_time.csv, importance.svg and importance_time.svg.
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "classifiers/metrics.h"
#include "core/csv.h"
#include "experiments/experiments.h"
#include "experiments/protocol_runner.h"
#include "figures/svg.h"

namespace lrid {
namespace {

struct Ranked {
  std::string name;
  double mean, sem;
};

// One observable set's importances.
struct SetImportance {
  std::string measure;
  std::string accuracy;                        // "mean ± sem" of the forest
  int64_t time_points = 0;
  std::vector<Ranked> ranked;                  // observables, by summed importance, largest first
  std::vector<Ranked> one_hot;                 // the 3 position columns
  std::vector<std::vector<double>> over_time;  // [ranked observable][time point], mean over splits
};

std::string statistic_of(const std::string& obs) { return obs.substr(obs.find('_') + 1); }

// Mean ± s.e.m. over splits of each of a result's observables (summed over time) and one-hot columns.
// imp: [S, 3 + M T] per-split importances (the one-hot columns first); obs: [S, M, T] the observables' part.
std::vector<Ranked> summed_importances(const ProtocolResult& r, const torch::Tensor& imp, const torch::Tensor& obs) {
  const auto M = static_cast<int64_t>(r.observables.size());
  const torch::Tensor summed = obs.sum(2);  // [S, M]
  std::vector<Ranked> items;
  for (int64_t k = 0; k < M + 3; ++k) {
    std::vector<double> v;
    for (int64_t s = 0; s < imp.size(0); ++s)
      v.push_back(k < M ? summed[s][k].item<double>() : imp[s][k - M].item<double>());
    items.push_back({k < M ? r.observables[static_cast<std::size_t>(k)] : r.feature_names[static_cast<std::size_t>(k - M)],
                     mean(v), sem(v)});
  }
  return items;
}

SetImportance set_importance(const std::string& measure, const ProtocolResult& r) {
  const auto M = static_cast<int64_t>(r.observables.size());
  const int64_t T = (static_cast<int64_t>(r.feature_names.size()) - 3) / std::max<int64_t>(M, 1);
  std::vector<torch::Tensor> per_split;  // [F] each: the mean over the split's trees
  for (const auto& s : r.splits) per_split.push_back(s.tree_importances.to(torch::kFloat64).mean(0));
  const torch::Tensor imp = torch::stack(per_split);                     // [S, F]
  const torch::Tensor obs = imp.slice(1, 3).view({imp.size(0), M, T});   // [S, M, T]
  const std::vector<Ranked> items = summed_importances(r, imp, obs);
  SetImportance out;
  out.measure = measure;
  out.accuracy = accuracy_pm(r);
  out.time_points = T;
  out.ranked.assign(items.begin(), items.begin() + M);
  out.one_hot.assign(items.begin() + M, items.end());
  std::stable_sort(out.ranked.begin(), out.ranked.end(), [](const Ranked& a, const Ranked& b) { return a.mean > b.mean; });
  const torch::Tensor over_time = obs.mean(0);  // [M, T]
  for (const auto& s : out.ranked) {
    const auto k = std::find(r.observables.begin(), r.observables.end(), s.name) - r.observables.begin();
    std::vector<double> line;
    for (int64_t t = 0; t < T; ++t) line.push_back(over_time[k][t].item<double>());
    out.over_time.push_back(line);
  }
  return out;
}

// The report's order: one forest per measure, then (a decision) all 24 together.
std::vector<std::string> report_order(std::vector<std::string> measures) {
  std::stable_sort(measures.begin(), measures.end(), [](const std::string& a, const std::string& b) {
    return (a == "all") < (b == "all");
  });
  return measures;
}

void write_importance_tables(const std::filesystem::path& dir, const std::vector<SetImportance>& sets) {
  std::vector<std::vector<std::string>> rows, time_rows;
  for (const auto& s : sets) {
    for (std::size_t i = 0; i < s.ranked.size(); ++i) {
      const Ranked& x = s.ranked[i];
      rows.push_back({s.measure, x.name, "observable", csv_number(x.mean), csv_number(x.sem), std::to_string(i + 1)});
    }
    for (const auto& x : s.one_hot)
      rows.push_back({s.measure, x.name, "position one-hot", csv_number(x.mean), csv_number(x.sem), ""});
    for (std::size_t i = 0; i < s.ranked.size(); ++i)
      for (std::size_t t = 0; t < s.over_time[i].size(); ++t)
        time_rows.push_back({s.measure, s.ranked[i].name, std::to_string(t), csv_number(s.over_time[i][t])});
  }
  write_csv(dir / "importance.csv", {"observables", "feature", "kind", "importance_mean", "importance_sem", "rank"},
            rows);
  write_csv(dir / "importance_time.csv", {"observables", "observable", "time", "importance_mean"}, time_rows);
}

std::string time_heat_map(const SetImportance& s) {
  svg::HeatMap h;
  h.title = fmt::format("{}: importance per time point", pretty_measure(s.measure));
  h.row_label = "observable";
  h.col_label = "time point";
  h.show_values = false;
  h.cell = s.ranked.size() > 13 ? 15 : 18;
  for (int64_t t = 0; t < s.time_points; ++t) h.cols.push_back(std::to_string(t));
  for (const auto& x : s.ranked) h.rows.push_back(x.name);
  h.values = s.over_time;
  return svg::heat_map(h);
}

std::string ranked_bars(const SetImportance& s) {
  svg::HBarChart b;
  b.title = fmt::format("{} (accuracy {})", pretty_measure(s.measure), s.accuracy);
  b.x_label = "Gini importance, summed over the trajectory";
  for (const auto& x : s.ranked) {
    b.labels.push_back(x.name);
    b.value.push_back(x.mean);
    b.error.push_back(x.sem);
    b.colours.push_back(x.name.rfind("weight", 0) == 0 ? 0 : x.name.rfind("act", 0) == 0 ? 1 : 2);
  }
  return svg::hbar_chart(b);
}

void write_importance_figures(const std::filesystem::path& dir, const std::vector<SetImportance>& sets) {
  std::vector<std::string> bars, heats;
  for (const auto& s : sets) {
    heats.push_back(time_heat_map(s));
    bars.push_back(ranked_bars(s));
  }
  svg::write_svg(dir / "importance.svg", svg::panels(bars, 3, "Gini importance per statistic (random forest)"));
  svg::write_svg(dir / "importance_time.svg", svg::panels(heats, 2, "Gini importance by time point"));
}

// 1-based rank of the first observable of statistic `stat` (e.g. "median"); -1 when absent.
int rank_of(const std::vector<Ranked>& v, const std::string& stat) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (statistic_of(v[i].name) == stat) return static_cast<int>(i) + 1;
  return -1;
}

const SetImportance* find_set(const std::vector<SetImportance>& sets, const std::string& measure) {
  for (const auto& s : sets)
    if (s.measure == measure) return &s;
  return nullptr;
}

// Weights: the first statistic is a median or a norm, and the best of each ranks in the top 4.
void weight_finding(const std::vector<Ranked>& w, ExperimentOutput& out) {
  const int med = rank_of(w, "median"), norm = rank_of(w, "norm");
  const std::string top = w.front().name;
  const bool top_ok = statistic_of(top) == "median" || statistic_of(top) == "norm";
  const bool both = med > 0 && med <= 4 && norm > 0 && norm <= 4;
  out.findings.push_back(
      {"The weight median and the weight norm carry the most predictive power (the report ranks the weight median "
       "first).", "paper, report",
       fmt::format("Weights: first {} ({:.3f}); the best median ranks {}, the best norm {} of {}. Parts: a median "
                   "or a norm first, and the best of each in the top 4.", top,
                   w.front().mean, med, norm, w.size()),
       top_ok && both ? "agrees" : top_ok || both ? "partly" : "disagrees"});
}

// Activity change: gradavgabs_id / gradavgsq_id within (2/3, 3/2).
void grad_finding(const std::vector<Ranked>& g, ExperimentOutput& out) {
  double a = NAN, q = NAN;
  for (const auto& x : g) {
    if (x.name == "gradavgabs_id") a = x.mean;
    if (x.name == "gradavgsq_id") q = x.mean;
  }
  const double ratio = a / q;
  out.findings.push_back({"For the activity change, the abs and sq variants are on a par.", "report",
                          fmt::format("gradavgabs_id {:.3f}, gradavgsq_id {:.3f} (ratio {:.2f}; on a par: "
                                      "within 2/3..3/2).", a, q, ratio),
                          std::isfinite(ratio) && ratio > 2.0 / 3.0 && ratio < 1.5 ? "agrees" : "disagrees"});
}

// Activations: the best median ranks above the best norm.
void act_finding(const std::vector<Ranked>& v, ExperimentOutput& out) {
  const int med = rank_of(v, "median"), norm = rank_of(v, "norm");
  out.findings.push_back({"For activations the report ranks the median above the norm (the original figure shows "
                          "the reverse).", "report",
                          fmt::format("Activations: the best median ranks {}, the best norm {}; first {}.", med, norm,
                                      v.front().name),
                          med > 0 && norm > 0 && med < norm ? "agrees" : "disagrees (as the original figure)"});
}

}  // namespace

const OptionsBinding<ImportanceOptions>& importance_binding() {
  static const OptionsBinding<ImportanceOptions> binding;  // nothing beyond the common keys
  return binding;
}


ExperimentOutput run_importance(const ExperimentContext& ctx, const ImportanceOptions& o) {
  const std::vector<std::string> measures = report_order(ctx.common.measures);
  ProtocolRunner runner("importance", static_cast<int64_t>(measures.size()), ctx.progress);
  std::vector<SetImportance> sets;
  for (const auto& m : measures) {
    ProtocolResult r = runner.run(ctx.data, protocol_options(ctx.common, o.classifier, m), o.classifier + "/" + m);
    write_results(r, ctx.data, ctx.dir / "runs" / (o.classifier + "_" + m), /*tree_importances=*/false);
    sets.push_back(set_importance(m, r));
  }
  runner.finish();
  write_importance_tables(ctx.dir, sets);
  write_importance_figures(ctx.dir, sets);
  ExperimentOutput out;
  out.title = "Gini feature importance";
  out.description = fmt::format(
      "A random forest per observable set ({} splits, {} grid). Per split the trees' normalised Gini importances are "
      "averaged; each observable's {} time columns are summed; bars show mean ± s.e.m. over splits, sorted.",
      ctx.common.splits, ctx.common.grid, ctx.data.time_points());
  out.figures = {{"importance.svg", "Summed Gini importance per statistic", out.description},
                 {"importance_time.svg", "Gini importance per time point",
                  "Mean over splits of each observable's importance at each time point (rows sorted as the bars)."}};
  out.tables = {{"importance.csv", "Summed importance per observable (and the one-hot columns)"},
                {"importance_time.csv", "Importance per observable and time point"}};
  if (const auto* s = find_set(sets, "weight")) weight_finding(s->ranked, out);
  if (const auto* s = find_set(sets, "grad")) grad_finding(s->ranked, out);
  if (const auto* s = find_set(sets, "act")) act_finding(s->ranked, out);
  return out;
}

}  // namespace lrid

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
#include <numeric>

#include "classifiers/metrics.h"
#include "experiments/experiments.h"
#include "figures/svg.h"

namespace lrid {
namespace {

struct Ranked {
  std::string name;
  double mean, sem;
};

std::string statistic_of(const std::string& obs) { return obs.substr(obs.find('_') + 1); }

}  // namespace

Schema importance_schema() { return {}; }

ExperimentOutput run_importance(const ExperimentContext& ctx) {
  const Params& p = ctx.params;
  std::vector<std::string> measures = p.get_strings("measures");
  // The report's order: one forest per measure, then (a decision) all 24 together.
  std::stable_sort(measures.begin(), measures.end(), [](const std::string& a, const std::string& b) {
    return (a == "all") < (b == "all");
  });
  ProtocolRunner runner("importance", static_cast<int64_t>(measures.size()), ctx.progress);
  std::vector<std::vector<std::string>> rows, time_rows;
  std::vector<std::string> bars, heats;
  std::map<std::string, std::vector<Ranked>> ranked;
  for (const auto& m : measures) {
    ProtocolResult r = runner.run(ctx.data, protocol_options(p, "rf", m), "rf/" + m);
    write_results(r, ctx.data, ctx.dir / "runs" / ("rf_" + m), /*tree_importances=*/false);
    const auto M = static_cast<int64_t>(r.observables.size());
    const int64_t T = (static_cast<int64_t>(r.feature_names.size()) - 3) / std::max<int64_t>(M, 1);
    std::vector<torch::Tensor> per_split;  // [F] each
    for (const auto& s : r.splits) per_split.push_back(s.tree_importances.to(torch::kFloat64).mean(0));
    torch::Tensor imp = torch::stack(per_split);                       // [S, F]
    torch::Tensor obs = imp.slice(1, 3).view({imp.size(0), M, T});    // [S, M, T]
    torch::Tensor summed = obs.sum(2);                                 // [S, M]
    std::vector<Ranked> items;
    for (int64_t k = 0; k < M + 3; ++k) {
      std::vector<double> v;
      for (int64_t s = 0; s < imp.size(0); ++s)
        v.push_back(k < M ? summed[s][k].item<double>() : imp[s][k - M].item<double>());
      items.push_back({k < M ? r.observables[static_cast<std::size_t>(k)] : r.feature_names[static_cast<std::size_t>(k - M)],
                       mean(v), sem(v)});
    }
    std::vector<Ranked> sorted(items.begin(), items.begin() + M);
    std::stable_sort(sorted.begin(), sorted.end(), [](const Ranked& a, const Ranked& b) { return a.mean > b.mean; });
    for (std::size_t i = 0; i < sorted.size(); ++i)
      rows.push_back({m, sorted[i].name, "observable", csv_number(sorted[i].mean), csv_number(sorted[i].sem),
                      std::to_string(i + 1)});
    for (int64_t k = M; k < M + 3; ++k)
      rows.push_back({m, items[static_cast<std::size_t>(k)].name, "position one-hot",
                      csv_number(items[static_cast<std::size_t>(k)].mean), csv_number(items[static_cast<std::size_t>(k)].sem), ""});
    ranked[m] = sorted;
    torch::Tensor over_time = obs.mean(0);  // [M, T]
    svg::HeatMap h;
    h.title = fmt::format("{}: importance per time point", pretty_measure(m));
    h.row_label = "observable";
    h.col_label = "time point";
    h.show_values = false;
    h.cell = M > 13 ? 15 : 18;
    for (int64_t t = 0; t < T; ++t) h.cols.push_back(std::to_string(t));
    for (const auto& s : sorted) {
      const auto k = std::find(r.observables.begin(), r.observables.end(), s.name) - r.observables.begin();
      h.rows.push_back(s.name);
      std::vector<double> line;
      for (int64_t t = 0; t < T; ++t) {
        line.push_back(over_time[k][t].item<double>());
        time_rows.push_back({m, s.name, std::to_string(t), csv_number(over_time[k][t].item<double>())});
      }
      h.values.push_back(line);
    }
    heats.push_back(svg::heat_map(h));
    svg::HBarChart b;
    b.title = fmt::format("{} (accuracy {})", pretty_measure(m), pm(r.accuracy_mean, r.accuracy_sem));
    b.x_label = "Gini importance, summed over the trajectory";
    for (const auto& s : sorted) {
      b.labels.push_back(s.name);
      b.value.push_back(s.mean);
      b.error.push_back(s.sem);
      b.colours.push_back(s.name.rfind("weight", 0) == 0 ? 0 : s.name.rfind("act", 0) == 0 ? 1 : 2);
    }
    bars.push_back(svg::hbar_chart(b));
  }
  runner.finish();
  write_csv(ctx.dir / "importance.csv", {"observables", "feature", "kind", "importance_mean", "importance_sem", "rank"},
            rows);
  write_csv(ctx.dir / "importance_time.csv", {"observables", "observable", "time", "importance_mean"}, time_rows);
  svg::write_svg(ctx.dir / "importance.svg", svg::panels(bars, 3, "Gini importance per statistic (random forest)"));
  svg::write_svg(ctx.dir / "importance_time.svg", svg::panels(heats, 2, "Gini importance by time point"));

  ExperimentOutput out;
  out.title = "Gini feature importance";
  out.description = fmt::format(
      "A random forest per observable set ({} splits, {} grid). Per split the trees' normalised Gini importances are "
      "averaged; each observable's {} time columns are summed; bars show mean ± s.e.m. over splits, sorted.",
      p.get_int("splits"), p.get_string("grid"), ctx.data.time_points());
  out.figures = {{"importance.svg", "Summed Gini importance per statistic", out.description},
                 {"importance_time.svg", "Gini importance per time point",
                  "Mean over splits of each observable's importance at each time point (rows sorted as the bars)."}};
  out.tables = {{"importance.csv", "Summed importance per observable (and the one-hot columns)"},
                {"importance_time.csv", "Importance per observable and time point"}};
  auto rank_of = [](const std::vector<Ranked>& v, const std::string& stat) {
    for (std::size_t i = 0; i < v.size(); ++i)
      if (statistic_of(v[i].name) == stat) return static_cast<int>(i) + 1;
    return -1;
  };
  if (ranked.count("weight")) {
    const auto& w = ranked.at("weight");
    const int med = rank_of(w, "median"), norm = rank_of(w, "norm");
    const std::string top = w.front().name;
    const bool top_ok = statistic_of(top) == "median" || statistic_of(top) == "norm";
    const bool both = med > 0 && med <= 4 && norm > 0 && norm <= 4;
    out.findings.push_back(
        {"The weight median and the weight norm carry the most predictive power (the report ranks the weight median "
         "first).", "paper, report",
         fmt::format("Weights: first {} ({:.3f}); the best median ranks {}, the best norm {} of {}.", top,
                     w.front().mean, med, norm, w.size()),
         top_ok && both ? "agrees" : top_ok || both ? "partly" : "disagrees"});
  }
  if (ranked.count("grad")) {
    const auto& g = ranked.at("grad");
    double a = NAN, q = NAN;
    for (const auto& x : g) {
      if (x.name == "gradavgabs_id") a = x.mean;
      if (x.name == "gradavgsq_id") q = x.mean;
    }
    const double ratio = a / q;
    out.findings.push_back({"For the activity change, the abs and sq variants are on a par.", "report",
                            fmt::format("gradavgabs_id {:.3f}, gradavgsq_id {:.3f} (ratio {:.2f}).", a, q, ratio),
                            std::isfinite(ratio) && ratio > 2.0 / 3.0 && ratio < 1.5 ? "agrees" : "disagrees"});
  }
  if (ranked.count("act")) {
    const auto& v = ranked.at("act");
    const int med = rank_of(v, "median"), norm = rank_of(v, "norm");
    out.findings.push_back({"For activations the report ranks the median above the norm (the original figure shows "
                            "the reverse).", "report",
                            fmt::format("Activations: the best median ranks {}, the best norm {}; first {}.", med, norm,
                                        v.front().name),
                            med > 0 && norm > 0 && med < norm ? "agrees" : "disagrees (as the original figure)"});
  }
  return out;
}

}  // namespace lrid

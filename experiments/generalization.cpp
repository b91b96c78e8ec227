// Generalisation to held-out architectures, tasks and curricula (science.md
// §7(e)): for each `by` key and each of its values v, train on the rows with
// key != v and test on the rows with key = v (disjoint pools), with
// n_train = floor(0.9 · smallest per-rule count of the train pool) and
// n_test = floor(0.9 · smallest per-rule count of the test pool) per split, so
// that the splits differ. The in-distribution accuracy (the standard protocol
// on every row) is the reference. Writes generalization.csv and one bar chart per key.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "classifiers/metrics.h"
#include "core/errors.h"
#include "experiments/experiments.h"
#include "figures/svg.h"

namespace lrid {
namespace {

int64_t min_rule_count(const TrajectoryDataset& d, const std::vector<int64_t>& rows, const std::set<std::string>& rules) {
  std::map<std::string, int64_t> c;
  for (const auto& r : rules) c[r] = 0;
  for (int64_t i : rows) ++c[d.y[static_cast<std::size_t>(i)]];
  int64_t m = INT64_MAX;
  for (const auto& [k, v] : c) m = std::min(m, v);
  return m;
}

const std::map<std::string, std::string> kKeyTitles = {
    {"architecture", "Held-out architecture"}, {"task", "Held-out task"},         {"batch_size", "Held-out batch size"},
    {"model_seed", "Held-out model seed"},     {"dataset_seed", "Held-out data seed"}, {"dataset", "Held-out dataset"}};

}  // namespace

Schema generalization_schema() {
  return {
      string_param("classifier", "rf").one_of({"rf", "svm", "conv1d"}),
      strings_param("by", {"architecture", "task", "batch_size", "model_seed"})
          .one_of({"architecture", "task", "batch_size", "model_seed", "dataset_seed", "dataset"})
          .describe("meta columns whose values are held out one at a time"),
  };
}

ExperimentOutput run_generalization(const ExperimentContext& ctx) {
  const Params& p = ctx.params;
  const auto measures = p.get_strings("measures");
  const std::string classifier = p.get_string("classifier");
  const std::set<std::string> rules(ctx.data.y.begin(), ctx.data.y.end());
  const double chance = chance_level(ctx.data);
  ExperimentOutput out;
  out.title = "Generalisation to held-out architectures, tasks and curricula";
  out.description = fmt::format(
      "{}: train on every value of a key but one, test on the held-out value (disjoint pools; per rule and split "
      "floor(0.9 m) training and test rows, m the smallest per-rule count of each pool). Bars: mean ± s.e.m. over {} "
      "splits; the last group is the in-distribution protocol on every row.", classifier, p.get_int("splits"));
  struct Job {
    std::string key, value;
    std::vector<int64_t> train, test;
  };
  std::vector<Job> jobs;
  for (const auto& key : p.get_strings("by")) {
    if (!ctx.data.meta.count(key)) {
      out.notes.push_back(fmt::format("'{}': the dataset has no such column; skipped.", key));
      continue;
    }
    const auto values = distinct_values(ctx.data, key);
    if (values.size() < 2) {
      out.notes.push_back(fmt::format("'{}': only one value ({}); nothing to hold out.", key, values.empty() ? "" : values[0]));
      continue;
    }
    for (const auto& v : values) {
      Job j{key, v, {}, {}};
      for (int64_t i = 0; i < ctx.data.rows(); ++i)
        (ctx.data.meta.at(key).as_string(i) == v ? j.test : j.train).push_back(i);
      const int64_t mtr = min_rule_count(ctx.data, j.train, rules), mte = min_rule_count(ctx.data, j.test, rules);
      if (mtr * 9 / 10 < 5 || mte * 9 / 10 < 1) {
        out.notes.push_back(fmt::format("{} = {}: a rule has too few rows in a pool (train {}, test {}); skipped.", key,
                                        v, mtr, mte));
        continue;
      }
      jobs.push_back(j);
    }
  }
  ProtocolRunner runner("generalization", static_cast<int64_t>((jobs.size() + 1) * measures.size()), ctx.progress);
  std::map<std::string, ProtocolResult> in_dist;
  for (const auto& m : measures) in_dist.emplace(m, runner.run(ctx.data, protocol_options(p, classifier, m), "in-distribution " + m));
  std::vector<std::vector<std::string>> rows;
  std::map<std::string, std::map<std::string, std::map<std::string, ProtocolResult>>> res;  // key -> value -> measure
  for (const auto& j : jobs)
    for (const auto& m : measures) {
      ProtocolOptions o = protocol_options(p, classifier, m);
      o.train_pool = j.train;
      o.test_pool = j.test;
      o.n_train = min_rule_count(ctx.data, j.train, rules) * 9 / 10;
      o.n_test = min_rule_count(ctx.data, j.test, rules) * 9 / 10;
      ProtocolResult r = runner.run(ctx.data, o, fmt::format("{} = {} {}", j.key, j.value, m));
      rows.push_back({j.key, j.value, m, std::to_string(o.n_train), std::to_string(o.n_test), csv_number(r.accuracy_mean),
                      csv_number(r.accuracy_sem), csv_number(in_dist.at(m).accuracy_mean),
                      csv_number(in_dist.at(m).accuracy_sem), csv_number(chance)});
      res[j.key][j.value].emplace(m, std::move(r));
    }
  runner.finish();
  write_csv(ctx.dir / "generalization.csv",
            {"held_out_key", "held_out_value", "observables", "n_train", "n_test", "accuracy_mean", "accuracy_sem",
             "in_distribution_mean", "in_distribution_sem", "chance"},
            rows);
  out.tables.push_back({"generalization.csv", "Accuracy on held-out values"});
  for (const auto& [key, by_value] : res) {
    svg::BarChart b;
    b.title = kKeyTitles.count(key) ? kKeyTitles.at(key) : key;
    b.y_label = "test accuracy";
    b.x_label = fmt::format("held-out {}", key);
    b.y_max = 1.0;
    for (const auto& [v, _] : by_value) b.groups.push_back(v);
    b.groups.push_back("(in distribution)");
    for (const auto& m : measures) {
      svg::Bars s{pretty_measure(m), {}, {}};
      for (const auto& [v, per] : by_value) {
        s.value.push_back(per.at(m).accuracy_mean);
        s.error.push_back(per.at(m).accuracy_sem);
      }
      s.value.push_back(in_dist.at(m).accuracy_mean);
      s.error.push_back(in_dist.at(m).accuracy_sem);
      b.series.push_back(s);
    }
    b.references.push_back({chance, fmt::format("chance {:.2f}", chance)});
    b.width = std::max(640.0, 130.0 * static_cast<double>(b.groups.size()) + 160);
    const std::string file = "generalization_" + key + ".svg";
    svg::write_svg(ctx.dir / file, svg::bar_chart(b));
    out.figures.push_back({file, b.title, out.description});
  }
  // Findings.
  auto verdict_for = [&](const std::string& key, std::string& measured) {
    if (!res.count(key)) return std::string();
    const std::string m = measures.front();
    int above = 0, n = 0;
    for (const auto& [v, per] : res.at(key)) {
      const auto& r = per.at(m);
      ++n;
      above += r.accuracy_mean - 2 * (std::isfinite(r.accuracy_sem) ? r.accuracy_sem : 0) > chance;
      measured += fmt::format("{}{} {}", measured.empty() ? "" : ", ", v, pm(r.accuracy_mean, r.accuracy_sem));
    }
    measured = fmt::format("{} ({}), held out one at a time: {}; in distribution {}; chance {:.2f}.", key,
                           pretty_measure(m), measured, pm(in_dist.at(m).accuracy_mean, in_dist.at(m).accuracy_sem),
                           chance);
    return std::string(above == n ? "agrees" : above > 0 ? "partly" : "disagrees");
  };
  {
    std::string measured;
    const std::string v = verdict_for("architecture", measured);
    if (!v.empty())
      out.findings.push_back({"Identification generalises to held-out architectures.", "paper", measured, v});
  }
  for (const char* key : {"batch_size", "model_seed", "dataset_seed"}) {
    std::string measured;
    const std::string v = verdict_for(key, measured);
    if (!v.empty())
      out.findings.push_back({"Identification generalises to held-out learning curricula (batch size, seeds).", "paper",
                              measured, v});
  }
  {
    std::string measured;
    const std::string v = verdict_for("task", measured);
    if (!v.empty())
      out.findings.push_back({"Transfer to held-out tasks (not claimed by the paper; unknown).", "new question", measured,
                              v == "agrees" ? "generalises" : v == "partly" ? "partly generalises" : "does not generalise"});
  }
  return out;
}

}  // namespace lrid

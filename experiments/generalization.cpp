// Generalisation to held-out architectures, tasks and curricula (science.md
// §7(e)): for each `by` key and each of its values v, train on the rows with
// key != v and test on the rows with key = v (disjoint pools). Split by row,
// n_train = floor(0.9 · smallest per-rule count of the train pool) and
// n_test = floor(0.9 · smallest per-rule count of the test pool) per split, so
// that the splits differ; split by group (the default, §6.9), a quarter of the
// held-out value's groups test and the other values' rows of the remaining
// groups train (a seed group never on both sides), balanced by rule. The
// in-distribution accuracy (the standard protocol on every row) is the reference. Writes generalization.csv and one bar chart per key.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
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

// One held-out value: the rows of the other values train, its own rows test.
struct HeldOut {
  std::string key, value;
  std::vector<int64_t> train, test;
};

// key -> held-out value -> observable set -> result.
using HeldOutResults = std::map<std::string, std::map<std::string, std::map<std::string, ProtocolResult>>>;

int64_t min_rule_count(const TrajectoryDataset& d, const std::vector<int64_t>& rows, const std::set<std::string>& rules) {
  std::map<std::string, int64_t> c;
  for (const auto& r : rules) c[r] = 0;
  for (int64_t i : rows) ++c[d.y[static_cast<std::size_t>(i)]];
  int64_t m = INT64_MAX;
  for (const auto& [k, v] : c) m = std::min(m, v);
  return m;
}

// Rows per rule and split from a pool: floor(0.9 · its smallest per-rule count).
int64_t per_rule(const TrajectoryDataset& d, const std::vector<int64_t>& rows) {
  return min_rule_count(d, rows, std::set<std::string>(d.y.begin(), d.y.end())) * 9 / 10;
}

const std::map<std::string, std::string> kKeyTitles = {
    {"architecture", "Held-out architecture"}, {"task", "Held-out task"},         {"batch_size", "Held-out batch size"},
    {"model_seed", "Held-out model seed"},     {"dataset_seed", "Held-out data seed"}, {"dataset", "Held-out dataset"}};

// Every (key, value) to hold out; keys without a column or a second value and
// values that leave a rule too few rows (under 5 to train, 1 to test) are noted and skipped.
std::vector<HeldOut> held_out_values(const TrajectoryDataset& d, const std::vector<std::string>& by,
                                     std::vector<std::string>& notes) {
  std::vector<HeldOut> jobs;
  for (const auto& key : by) {
    if (!d.meta.count(key)) {
      notes.push_back(fmt::format("'{}': the dataset has no such column; skipped.", key));
      continue;
    }
    const auto values = distinct_values(d, key);
    if (values.size() < 2) {
      notes.push_back(fmt::format("'{}': only one value ({}); nothing to hold out.", key, values.empty() ? "" : values[0]));
      continue;
    }
    for (const auto& v : values) {
      HeldOut j{key, v, {}, {}};
      for (int64_t i = 0; i < d.rows(); ++i) (d.meta.at(key).as_string(i) == v ? j.test : j.train).push_back(i);
      const std::set<std::string> rules(d.y.begin(), d.y.end());
      const int64_t mtr = min_rule_count(d, j.train, rules), mte = min_rule_count(d, j.test, rules);
      if (mtr * 9 / 10 < 5 || mte * 9 / 10 < 1) {
        notes.push_back(fmt::format("{} = {}: a rule has too few rows in a pool (train {}, test {}); skipped.", key, v,
                                    mtr, mte));
        continue;
      }
      jobs.push_back(j);
    }
  }
  return jobs;
}

// The protocol on every held-out value and observable set; writes generalization.csv.
HeldOutResults run_held_out(const ExperimentContext& ctx, const GeneralizationOptions& o,
                            const std::vector<HeldOut>& jobs, const std::map<std::string, ProtocolResult>& in_dist,
                            ProtocolRunner& runner) {
  const double chance = chance_level(ctx.data);
  std::vector<std::vector<std::string>> rows;
  HeldOutResults res;
  for (const auto& j : jobs)
    for (const auto& m : ctx.common.measures) {
      ProtocolOptions po = protocol_options(ctx.common, o.classifier, m);
      po.train_pool = j.train;
      po.test_pool = j.test;
      if (po.group_by == "row") {  // row draws: 90% of each pool, so that the splits differ
        po.n_train = per_rule(ctx.data, j.train);
        po.n_test = per_rule(ctx.data, j.test);
      }  // by group: the groups drawn make the splits differ, and each side is balanced as drawn
      ProtocolResult r = runner.run(ctx.data, po, fmt::format("{} = {} {}", j.key, j.value, m));
      const auto classes = static_cast<std::size_t>(std::max<std::size_t>(r.class_names.size(), 1));
      const std::size_t n_train = r.splits.empty() ? 0 : r.splits.front().train.size() / classes;
      const std::size_t n_test = r.splits.empty() ? 0 : r.splits.front().test.size() / classes;
      rows.push_back({j.key, j.value, m, std::to_string(n_train), std::to_string(n_test),
                      csv_number(r.accuracy_mean), csv_number(r.accuracy_sem), csv_number(in_dist.at(m).accuracy_mean),
                      csv_number(in_dist.at(m).accuracy_sem), csv_number(chance)});
      res[j.key][j.value].emplace(m, std::move(r));
    }
  write_csv(ctx.dir / "generalization.csv",
            {"held_out_key", "held_out_value", "observables", "n_train", "n_test", "accuracy_mean", "accuracy_sem",
             "in_distribution_mean", "in_distribution_sem", "chance"},
            rows);
  return res;
}

// generalization_KEY.svg: bars per held-out value and observable set, then the in-distribution group.
void key_figure(const ExperimentContext& ctx, const std::string& key,
                const std::map<std::string, std::map<std::string, ProtocolResult>>& by_value,
                const std::map<std::string, ProtocolResult>& in_dist, ExperimentOutput& out) {
  const double chance = chance_level(ctx.data);
  svg::BarChart b;
  b.title = kKeyTitles.count(key) ? kKeyTitles.at(key) : key;
  b.y_label = "test accuracy";
  b.x_label = fmt::format("held-out {}", key);
  b.y_max = 1.0;
  for (const auto& [v, _] : by_value) b.groups.push_back(v);
  b.groups.push_back("(in distribution)");
  for (const auto& m : ctx.common.measures) {
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

// The verdict for a held-out key on the first observable set: every held-out value generalises
// (verdicts.h: keeps kGeneralisesShare of the in-distribution margin over chance and is well above
// chance; agrees), some (partly) or none (disagrees); "" when the key was not run.
std::string key_verdict(const ExperimentContext& ctx, const HeldOutResults& res,
                        const std::map<std::string, ProtocolResult>& in_dist, const std::string& key,
                        std::string& measured) {
  if (!res.count(key)) return std::string();
  const double chance = chance_level(ctx.data);
  const std::string m = ctx.common.measures.front();
  const double in = in_dist.at(m).accuracy_mean;
  int held = 0, n = 0;
  for (const auto& [v, per] : res.at(key)) {
    const auto& r = per.at(m);
    ++n;
    held += verdicts::generalises(r.accuracy_mean, r.accuracy_sem, in, chance);
    measured += fmt::format("{}{} {}", measured.empty() ? "" : ", ", v, accuracy_pm(r));
  }
  measured = fmt::format(
      "{} ({}), held out one at a time: {}; in distribution {}; chance {:.2f}. {} of {} generalise (threshold: "
      "held-out accuracy at least chance + {:.2f} x (in-distribution - chance) = {:.3f}, at least chance + {:.2f}, "
      "and more than 2 s.e.m. above chance).",
      key, pretty_measure(m), measured, accuracy_pm(in_dist.at(m)), chance, held, n, verdicts::kGeneralisesShare,
      chance + verdicts::kGeneralisesShare * (in - chance), verdicts::kWellAboveChance);
  return verdicts::share_verdict(held, n);
}

void held_out_findings(const ExperimentContext& ctx, const HeldOutResults& res,
              const std::map<std::string, ProtocolResult>& in_dist, ExperimentOutput& out) {
  std::string measured;
  std::string v = key_verdict(ctx, res, in_dist, "architecture", measured);
  if (!v.empty()) out.findings.push_back({"Identification generalises to held-out architectures.", "paper", measured, v});
  for (const char* key : {"batch_size", "model_seed", "dataset_seed"}) {
    measured.clear();
    v = key_verdict(ctx, res, in_dist, key, measured);
    if (!v.empty())
      out.findings.push_back({"Identification generalises to held-out learning curricula (batch size, seeds).", "paper",
                              measured, v});
  }
  measured.clear();
  v = key_verdict(ctx, res, in_dist, "task", measured);
  if (!v.empty())
    out.findings.push_back({"Transfer to held-out tasks (not claimed by the paper; unknown).", "new question", measured,
                            v == "agrees" ? "generalises" : v == "partly" ? "partly generalises" : "does not generalise"});
}

void declare_generalization(OptionsBinding<GeneralizationOptions>& b) {
  b.add("classifier", &GeneralizationOptions::classifier).one_of(classifier_registry().names());
  b.add("by", &GeneralizationOptions::by)
      .one_of({"architecture", "task", "batch_size", "model_seed", "dataset_seed", "dataset"})
      .describe("meta columns whose values are held out one at a time");
}

}  // namespace

const OptionsBinding<GeneralizationOptions>& generalization_binding() { return bound_once<GeneralizationOptions, declare_generalization>(); }


ExperimentOutput run_generalization(const ExperimentContext& ctx, const GeneralizationOptions& o) {
  const auto& measures = ctx.common.measures;
  ExperimentOutput out;
  out.title = "Generalisation to held-out architectures, tasks and curricula";
  out.description = fmt::format(
      "{}: train on every value of a key but one, test on the held-out value (disjoint pools; per rule and split "
      "floor(0.9 m) training and test rows, m the smallest per-rule count of each pool). Bars: mean ± s.e.m. over {} "
      "splits; the last group is the in-distribution protocol on every row.", o.classifier, ctx.common.splits);
  const std::vector<HeldOut> jobs = held_out_values(ctx.data, o.by, out.notes);
  ProtocolRunner runner("generalization", static_cast<int64_t>((jobs.size() + 1) * measures.size()), ctx.progress);
  std::map<std::string, ProtocolResult> in_dist;
  for (const auto& m : measures)
    in_dist.emplace(m, runner.run(ctx.data, protocol_options(ctx.common, o.classifier, m), "in-distribution " + m));
  const HeldOutResults res = run_held_out(ctx, o, jobs, in_dist, runner);
  runner.finish();
  out.tables.push_back({"generalization.csv", "Accuracy on held-out values"});
  for (const auto& [key, by_value] : res) key_figure(ctx, key, by_value, in_dist, out);
  held_out_findings(ctx, res, in_dist, out);
  return out;
}

}  // namespace lrid

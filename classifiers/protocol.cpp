// The evaluation protocol: options, stages select and split, the run over the
// splits and the aggregation. See protocol.h and science.md §6.
#include "classifiers/protocol.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <set>

#include "classifiers/features.h"
#include "classifiers/model_selection.h"
#include "classifiers/registry.h"
#include "core/errors.h"
#include "rules/rule.h"
#include "core/progress.h"
#include "core/seeding.h"

namespace lrid {
namespace {

// The rows of `data` outside `bad`, in order; with drop = false, DataError when there are any.
// Dropped rows are counted per rule into `dropped`.
std::vector<int64_t> rows_to_keep(const TrajectoryDataset& data, const std::vector<int64_t>& bad, bool drop,
                                  std::map<std::string, int64_t>& dropped) {
  const std::set<int64_t> b(bad.begin(), bad.end());
  if (!b.empty() && !drop)
    throw DataError(fmt::format("{} rows have non-finite values in the selected observables (first: row {}, rule "
                                "{}); select other observables or pass --drop-nonfinite",
                                b.size(), bad.front(), data.y[static_cast<std::size_t>(bad.front())]));
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < data.rows(); ++i)
    if (!b.count(i)) keep.push_back(i);
    else ++dropped[data.y[static_cast<std::size_t>(i)]];
  return keep;
}

// The positions in `keep` of the original rows of `pool` (empty pool: empty, meaning every row).
std::vector<int64_t> kept_pool(const std::vector<int64_t>& pool, const std::vector<int64_t>& keep) {
  std::vector<int64_t> out;
  if (pool.empty()) return out;
  const std::set<int64_t> p(pool.begin(), pool.end());
  for (std::size_t i = 0; i < keep.size(); ++i)
    if (p.count(keep[i])) out.push_back(static_cast<int64_t>(i));
  if (out.empty()) throw DataError("a train or test pool is empty after selecting rows");
  return out;
}

// The original dataset rows of kept-row positions.
std::vector<int64_t> original_rows(const std::vector<int64_t>& rows, const std::vector<int64_t>& keep) {
  std::vector<int64_t> out;
  for (int64_t i : rows) out.push_back(keep.empty() ? i : keep[static_cast<std::size_t>(i)]);
  return out;
}

// Stages search, fit and score of split s (model_selection.h); progress ticks per fold model and per split.
SplitResult run_split(const ProtocolData& p, const Split& sp, const ProtocolOptions& o, int64_t s, bool search,
                      std::vector<GridConfig>& grid, Progress& progress, int64_t& done) {
  const SplitData d = split_data(p, sp);
  SplitResult res;
  res.norm_mean = d.norm.mean;
  res.norm_std = d.norm.stddev;
  GridSearch g{0, {std::nan("")}};
  if (search) {
    g = search_grid(d, o, s, p, grid,
                    [&] { progress.update(++done, fmt::format("split {}/{}", s + 1, o.splits)); });
  }
  res.cv_scores = g.cv_scores;
  res.chosen = grid[static_cast<std::size_t>(g.best)];
  score_split(*fit_chosen(d, o, s, p, res.chosen), d, p.num_classes, res);
  res.train = original_rows(sp.train, p.keep);
  res.test = original_rows(sp.test, p.keep);
  progress.update(++done, fmt::format("split {}/{} acc {:.3f}", s + 1, o.splits, res.test_accuracy));
  return res;
}

}  // namespace

void ProtocolOptions::validate() const {
  if (splits < 1) throw ConfigError(fmt::format("--splits {}: must be at least 1", splits));
  if (folds < 2) throw ConfigError(fmt::format("folds {}: must be at least 2", folds));
  if (stat_noise_var < 0) throw ConfigError(fmt::format("stat_noise_var {}: must be >= 0", stat_noise_var));
  classifier_spec(classifier);  // ConfigError naming --classifier when unknown
  check_grid_name(grid);
  parse_group_by(group_by, "--group-by");
}

std::vector<std::string> class_names_of(const std::vector<std::string>& labels) {
  const std::set<std::string> unique(labels.begin(), labels.end());
  std::vector<std::string> out(unique.begin(), unique.end());
  // The rules in rule_order(), a rule's own name before its alias; other labels after them, sorted.
  auto key = [](const std::string& label) {
    const int order = rule_order(label);
    return std::make_pair(order < 0 ? std::numeric_limits<int>::max() : order, canonical_rule(label) != label);
  };
  std::stable_sort(out.begin(), out.end(), [&](const auto& a, const auto& b) { return key(a) < key(b); });
  return out;
}

std::vector<int64_t> class_ids(const std::vector<std::string>& labels, const std::vector<std::string>& class_names) {
  std::vector<int64_t> out;
  for (const auto& y : labels) out.push_back(std::find(class_names.begin(), class_names.end(), y) - class_names.begin());
  return out;
}

torch::Tensor ProtocolResult::feature_importance() const {
  std::vector<torch::Tensor> per_split;
  for (const auto& s : splits)
    if (s.tree_importances.defined() && s.tree_importances.numel() > 0) per_split.push_back(s.tree_importances.mean(0));
  if (per_split.empty()) return {};
  return torch::stack(per_split).mean(0);
}

ProtocolData select_protocol_data(const TrajectoryDataset& data, const ProtocolOptions& o, ProtocolResult& r) {
  r.class_names = class_names_of(data.y);
  ProtocolData p;
  p.num_classes = static_cast<int64_t>(r.class_names.size());
  if (p.num_classes < 2)
    throw DataError(fmt::format("the dataset has {} learning rule(s); classification needs two", p.num_classes));
  const std::vector<int64_t> cols = select_observables(data, o.observables, &r.observables);
  for (int64_t t : o.time_points)
    if (t < 0 || t >= data.time_points())
      throw ConfigError(fmt::format("time point {} is outside 0..{}", t, data.time_points() - 1));
  p.time_points = selected_time_points(o.time_points, data.time_points());
  r.feature_names = feature_names(r.observables, p.time_points);
  r.grid = classifier_grid(o.classifier, o.grid, p.time_points, o.set);
  // Rows with non-finite selected values: fail loudly, or drop and count per rule (§3.8).
  const std::vector<int64_t> bad = nonfinite_rows(data, cols);
  p.keep = rows_to_keep(data, bad, o.drop_nonfinite, r.dropped_rows);
  const TrajectoryDataset d = bad.empty() ? data : data.subset(p.keep);
  p.labels = class_ids(d.y, r.class_names);
  p.group_by = parse_group_by(o.group_by, "--group-by");
  p.groups = row_groups(d, p.group_by);
  p.y = torch::tensor(p.labels, torch::kInt64);
  p.continuous = continuous_block(d, cols, o.time_points);
  p.onehot = onehot_block(d);
  if (o.stat_noise_var > 0) {
    torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(mix_seed(o.seed, 0x5747u));
    p.continuous = p.continuous + std::sqrt(o.stat_noise_var) * torch::randn(p.continuous.sizes(), g,
                                                                             torch::TensorOptions().dtype(torch::kFloat64));
  }
  return p;
}

std::vector<Split> protocol_splits(const ProtocolData& p, const ProtocolOptions& o,
                                   const std::vector<std::string>& class_names) {
  if (p.group_by == GroupBy::kRow)
    return balanced_splits(p.labels, p.num_classes, o.splits, o.seed, kept_pool(o.train_pool, p.keep),
                           kept_pool(o.test_pool, p.keep), o.n_train, o.n_test, o.folds, class_names);
  // At least two training rows per class, so that grouped inner folds can hold every class.
  return grouped_splits(p.labels, p.groups, p.num_classes, o.splits, o.seed, kept_pool(o.train_pool, p.keep),
                        kept_pool(o.test_pool, p.keep), o.n_train, o.n_test, 2, class_names);
}

void aggregate_splits(ProtocolResult& r) {
  std::vector<double> accs;
  std::vector<Confusion> cms;
  for (const auto& s : r.splits) {
    accs.push_back(s.test_accuracy);
    cms.push_back(s.test_confusion);
  }
  r.accuracy_mean = mean(accs);
  r.accuracy_sem = sem(accs);
  r.mean_confusion = mean_confusion(cms);
  r.mean_accuracy = accuracy(r.mean_confusion);
  r.balanced_accuracy = balanced_accuracy(r.mean_confusion);
  r.d_prime = d_prime(r.mean_confusion);
}

ProtocolResult run_protocol(const TrajectoryDataset& data, const ProtocolOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  o.validate();
  ProtocolResult r;
  r.options = o;
  const ProtocolData p = select_protocol_data(data, o, r);
  const std::vector<Split> splits = protocol_splits(p, o, r.class_names);
  // A grid of one configuration needs no search (its cv score is NaN).
  const auto ng = static_cast<int64_t>(r.grid.size());
  const bool search = ng > 1;
  Progress progress(o.label.empty() ? fmt::format("classify {}", o.classifier) : o.label,
                    o.splits * ((search ? ng * o.folds : 0) + 1), o.progress);
  int64_t done = 0;
  for (int64_t s = 0; s < o.splits; ++s)
    r.splits.push_back(run_split(p, splits[static_cast<std::size_t>(s)], o, s, search, r.grid, progress, done));
  aggregate_splits(r);
  r.wall_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  progress.finish(fmt::format("accuracy {:.4f} ± {:.4f}", r.accuracy_mean, r.accuracy_sem));
  return r;
}

}  // namespace lrid

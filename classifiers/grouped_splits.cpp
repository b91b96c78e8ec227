// Splits and folds by group. See grouped_splits.h. Written here rather than
// taken from a library: scikit-learn's GroupShuffleSplit / StratifiedGroupKFold
// are Python, and the balance by rule after the group draw is ours (§6.9).
#include "classifiers/grouped_splits.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "core/errors.h"

namespace lrid {
namespace {

std::vector<int64_t> every_row(std::size_t n) {
  std::vector<int64_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<int64_t>(i);
  return v;
}

const MetaColumn& column(const TrajectoryDataset& data, const std::string& name, GroupBy g) {
  auto it = data.meta.find(name);
  if (it == data.meta.end())
    throw DataError(fmt::format("the dataset has no meta/{}: splits by {} need it (use --group-by row for the "
                                "paper's row-level protocol)", name, group_by_name(g)));
  return it->second;
}

bool unknown_seed(const std::string& s) { return s.empty() || s == "-1" || s == "nan" || s == "None"; }

// One side of a split balanced by class: `per_class` rows of each class drawn from `rows`
// (-1: the side's smallest class count).
std::vector<int64_t> balance(const std::vector<int64_t>& rows, const std::vector<int64_t>& labels, int64_t num_classes,
                             int64_t per_class, int64_t minimum, const char* side, std::mt19937_64& rng,
                             const std::function<std::string(int64_t)>& name) {
  std::vector<std::vector<int64_t>> by(static_cast<std::size_t>(num_classes));
  for (int64_t r : rows) by[static_cast<std::size_t>(labels[static_cast<std::size_t>(r)])].push_back(r);
  int64_t smallest = INT64_MAX;
  int64_t smallest_class = 0;
  for (int64_t c = 0; c < num_classes; ++c)
    if (static_cast<int64_t>(by[static_cast<std::size_t>(c)].size()) < smallest) {
      smallest = static_cast<int64_t>(by[static_cast<std::size_t>(c)].size());
      smallest_class = c;
    }
  const int64_t n = per_class >= 0 ? per_class : smallest;
  if (smallest < std::max<int64_t>(n, minimum))
    throw DataError(fmt::format("class '{}': {} {} rows in the groups drawn, {} needed (too few groups or an "
                                "unbalanced sweep; split by another group or add seed groups)",
                                name(smallest_class), smallest, side, std::max<int64_t>(n, minimum)));
  std::vector<int64_t> out;
  for (const auto& cls : by) {
    auto t = draw_without_replacement(cls, n, rng);
    out.insert(out.end(), t.begin(), t.end());
  }
  return out;
}

}  // namespace

GroupBy parse_group_by(const std::string& name, const std::string& what) {
  if (name == "row") return GroupBy::kRow;
  if (name == "run") return GroupBy::kRun;
  if (name == "seed") return GroupBy::kSeed;
  throw ConfigError(fmt::format("{} '{}': expected row, run or seed", what, name));
}

std::string group_by_name(GroupBy g) {
  return g == GroupBy::kRow ? "row" : g == GroupBy::kRun ? "run" : "seed";
}

std::vector<int64_t> row_groups(const TrajectoryDataset& data, GroupBy group_by) {
  const auto n = data.rows();
  if (group_by == GroupBy::kRow) return every_row(static_cast<std::size_t>(n));
  const MetaColumn& run = column(data, "run_id", group_by);
  const MetaColumn* model = group_by == GroupBy::kSeed ? &column(data, "model_seed", group_by) : nullptr;
  const MetaColumn* order = group_by == GroupBy::kSeed ? &column(data, "dataset_seed", group_by) : nullptr;
  std::map<std::string, int64_t> ids;
  std::vector<int64_t> out;
  for (int64_t i = 0; i < n; ++i) {
    std::string key = "run " + run.as_string(i);
    if (model != nullptr) {
      const std::string m = model->as_string(i), d = order->as_string(i);
      if (!unknown_seed(m) && !unknown_seed(d)) key = "seed " + m + "/" + d;
    }
    out.push_back(ids.emplace(key, static_cast<int64_t>(ids.size())).first->second);
  }
  return out;
}

std::vector<Split> grouped_splits(const std::vector<int64_t>& labels, const std::vector<int64_t>& groups,
                                  int64_t num_classes, int64_t num_splits, uint64_t seed,
                                  const std::vector<int64_t>& train_pool, const std::vector<int64_t>& test_pool,
                                  int64_t n_train, int64_t n_test, int64_t min_train,
                                  const std::vector<std::string>& class_names) {
  if (groups.size() != labels.size())
    throw DataError(fmt::format("{} group ids for {} rows", groups.size(), labels.size()));
  auto name = [&](int64_t c) {
    return c < static_cast<int64_t>(class_names.size()) ? class_names[static_cast<std::size_t>(c)] : std::to_string(c);
  };
  const bool shared = train_pool.empty() && test_pool.empty();
  const std::vector<int64_t> train_rows = train_pool.empty() ? every_row(labels.size()) : train_pool;
  const std::vector<int64_t> test_rows = test_pool.empty() ? every_row(labels.size()) : test_pool;
  // The candidate test groups, in id order (the draw below is what is random).
  std::set<int64_t> candidates;
  for (int64_t r : test_rows) candidates.insert(groups[static_cast<std::size_t>(r)]);
  const std::vector<int64_t> test_groups(candidates.begin(), candidates.end());
  const auto g = static_cast<int64_t>(test_groups.size());
  int64_t k = std::max<int64_t>(1, (g + 2) / 4);  // round(g / 4), halves up
  if (shared) k = std::min(k, g - 1);
  if (k < 1)
    throw DataError(fmt::format("the rows form {} group(s): a split by group needs at least 2", g));
  std::mt19937_64 rng(seed);
  std::vector<Split> out;
  for (int64_t s = 0; s < num_splits; ++s) {
    const auto chosen_v = draw_without_replacement(test_groups, k, rng);
    const std::set<int64_t> chosen(chosen_v.begin(), chosen_v.end());
    std::vector<int64_t> te, tr;
    for (int64_t r : test_rows)
      if (chosen.count(groups[static_cast<std::size_t>(r)])) te.push_back(r);
    for (int64_t r : train_rows)
      if (!chosen.count(groups[static_cast<std::size_t>(r)])) tr.push_back(r);
    Split sp;
    sp.test = balance(te, labels, num_classes, n_test, 1, "test", rng, name);
    sp.train = balance(tr, labels, num_classes, n_train, min_train, "training", rng, name);
    out.push_back(std::move(sp));
  }
  return out;
}

std::vector<int64_t> grouped_folds(const std::vector<int64_t>& labels, const std::vector<int64_t>& groups, int64_t k) {
  // Per group (in order of first appearance): its rows' count per class.
  std::map<int64_t, std::size_t> index;
  std::vector<std::map<int64_t, int64_t>> counts;
  std::vector<int64_t> sizes;
  std::map<int64_t, int64_t> class_total;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    auto [it, fresh] = index.emplace(groups[i], counts.size());
    if (fresh) {
      counts.emplace_back();
      sizes.push_back(0);
    }
    ++counts[it->second][labels[i]];
    ++sizes[it->second];
    ++class_total[labels[i]];
  }
  const auto ng = static_cast<int64_t>(counts.size());
  if (ng < 2)
    throw DataError(fmt::format("the training rows form {} group(s): inner cross-validation by group needs at "
                                "least 2 (add seed groups, or split by run: --group-by run)",
                                ng));
  const int64_t folds = std::min(k, ng);
  std::vector<std::size_t> order(counts.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return sizes[a] > sizes[b]; });
  // fold_counts[f][c]: rows of class c in fold f so far.
  std::vector<std::map<int64_t, double>> fold_counts(static_cast<std::size_t>(folds));
  std::vector<int64_t> fold_rows(static_cast<std::size_t>(folds), 0);
  std::vector<int64_t> group_fold(counts.size(), 0);
  for (std::size_t gi : order) {
    int64_t best = 0;
    double best_spread = 0;
    for (int64_t f = 0; f < folds; ++f) {
      double spread = 0;  // summed over classes: variance over folds of the fold's share of the class
      for (const auto& [c, total] : class_total) {
        double mean = 0, sq = 0;
        for (int64_t h = 0; h < folds; ++h) {
          double v = fold_counts[static_cast<std::size_t>(h)][c];
          if (h == f) v += counts[gi].count(c) ? static_cast<double>(counts[gi].at(c)) : 0.0;
          v /= static_cast<double>(total);
          mean += v;
          sq += v * v;
        }
        mean /= static_cast<double>(folds);
        spread += sq / static_cast<double>(folds) - mean * mean;
      }
      const bool better = f == 0 || spread < best_spread - 1e-12 ||
                          (spread <= best_spread + 1e-12 && fold_rows[static_cast<std::size_t>(f)] <
                                                                fold_rows[static_cast<std::size_t>(best)]);
      if (better) {
        best = f;
        best_spread = spread;
      }
    }
    group_fold[gi] = best;
    for (const auto& [c, n] : counts[gi]) fold_counts[static_cast<std::size_t>(best)][c] += static_cast<double>(n);
    fold_rows[static_cast<std::size_t>(best)] += sizes[gi];
  }
  // Fold ids renumbered densely in order of first use: no fold is left empty.
  std::map<int64_t, int64_t> dense;
  std::vector<int64_t> fold(groups.size());
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const int64_t f = group_fold[index.at(groups[i])];
    fold[i] = dense.emplace(f, static_cast<int64_t>(dense.size())).first->second;
  }
  return fold;
}

}  // namespace lrid

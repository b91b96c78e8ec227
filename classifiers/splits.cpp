// Splits and folds. See splits.h.
#include "classifiers/splits.h"

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

// The rows of `pool` (every row when empty) grouped by class.
std::vector<std::vector<int64_t>> rows_by_class(const std::vector<int64_t>& labels, int64_t num_classes,
                                                const std::vector<int64_t>& pool) {
  std::vector<std::vector<int64_t>> by(static_cast<std::size_t>(num_classes));
  if (pool.empty()) {
    for (std::size_t r = 0; r < labels.size(); ++r)
      by[static_cast<std::size_t>(labels[r])].push_back(static_cast<int64_t>(r));
  } else {
    for (int64_t r : pool) by[static_cast<std::size_t>(labels[static_cast<std::size_t>(r)])].push_back(r);
  }
  return by;
}

int64_t smallest_class(const std::vector<std::vector<int64_t>>& by) {
  int64_t m = INT64_MAX;
  for (const auto& rows : by) m = std::min<int64_t>(m, static_cast<int64_t>(rows.size()));
  return m;
}

// The §6.1 defaults for the sizes not given (< 0). m: the smallest per-class count
// of the common pool, or of each pool when they differ.
void default_split_sizes(const std::vector<std::vector<int64_t>>& train_by,
                         const std::vector<std::vector<int64_t>>& test_by, bool shared, int64_t& n_train,
                         int64_t& n_test) {
  if (n_test >= 0 && n_train >= 0) return;
  const int64_t m_train = smallest_class(train_by), m_test = smallest_class(test_by);
  if (shared) {
    if (n_test < 0) n_test = m_train / 4;
    if (n_train < 0) n_train = m_train - n_test;
  } else {
    if (n_test < 0) n_test = m_test / 4;
    if (n_train < 0) n_train = m_train;  // disjoint pools: the test draw does not deplete the train pool
  }
}

// One split: per class in id order, n_test test rows from the test pool, then per
// class n_train train rows from the train pool less every chosen test row.
Split draw_split(const std::vector<std::vector<int64_t>>& train_by, const std::vector<std::vector<int64_t>>& test_by,
                 int64_t n_train, int64_t n_test, std::mt19937_64& rng, const std::function<std::string(int64_t)>& name) {
  Split sp;
  std::set<int64_t> chosen;
  for (const auto& rows : test_by) {
    auto t = draw_without_replacement(rows, n_test, rng);
    chosen.insert(t.begin(), t.end());
    sp.test.insert(sp.test.end(), t.begin(), t.end());
  }
  for (std::size_t c = 0; c < train_by.size(); ++c) {
    std::vector<int64_t> left;
    for (int64_t r : train_by[c])
      if (!chosen.count(r)) left.push_back(r);
    if (static_cast<int64_t>(left.size()) < n_train)
      throw DataError(fmt::format("class '{}': {} rows left for training after the test draw, {} needed",
                                  name(static_cast<int64_t>(c)), left.size(), n_train));
    auto t = draw_without_replacement(left, n_train, rng);
    sp.train.insert(sp.train.end(), t.begin(), t.end());
  }
  return sp;
}

}  // namespace

std::vector<int64_t> draw_without_replacement(std::vector<int64_t> from, int64_t k, std::mt19937_64& rng) {
  for (int64_t i = 0; i < k; ++i) {
    std::uniform_int_distribution<int64_t> pick(i, static_cast<int64_t>(from.size()) - 1);
    std::swap(from[static_cast<std::size_t>(i)], from[static_cast<std::size_t>(pick(rng))]);
  }
  from.resize(static_cast<std::size_t>(k));
  return from;
}

std::vector<Split> balanced_splits(const std::vector<int64_t>& labels, int64_t num_classes, int64_t num_splits,
                                   uint64_t seed, const std::vector<int64_t>& train_pool,
                                   const std::vector<int64_t>& test_pool, int64_t n_train, int64_t n_test,
                                   int64_t min_train, const std::vector<std::string>& class_names) {
  auto name = [&](int64_t c) {
    return c < static_cast<int64_t>(class_names.size()) ? class_names[static_cast<std::size_t>(c)] : std::to_string(c);
  };
  const auto train_by = rows_by_class(labels, num_classes, train_pool);
  const auto test_by = rows_by_class(labels, num_classes, test_pool);
  default_split_sizes(train_by, test_by, train_pool.empty() && test_pool.empty(), n_train, n_test);
  for (int64_t c = 0; c < num_classes; ++c) {
    const auto nt = static_cast<int64_t>(test_by[static_cast<std::size_t>(c)].size());
    if (n_test < 1 || nt < n_test)
      throw DataError(fmt::format("class '{}' has {} test-pool rows: too few for a balanced test split of {} per "
                                  "class (need at least 4 rows per class)", name(c), nt, std::max<int64_t>(n_test, 1)));
    if (n_train < min_train)
      throw DataError(fmt::format("class '{}': {} training rows per class, fewer than the {} the inner "
                                  "cross-validation needs", name(c), n_train, min_train));
  }
  std::mt19937_64 rng(seed);
  std::vector<Split> out;
  for (int64_t s = 0; s < num_splits; ++s) out.push_back(draw_split(train_by, test_by, n_train, n_test, rng, name));
  return out;
}

std::vector<int64_t> stratified_folds(const std::vector<int64_t>& labels, int64_t k) {
  std::map<int64_t, std::vector<std::size_t>> by;
  for (std::size_t i = 0; i < labels.size(); ++i) by[labels[i]].push_back(i);
  std::vector<int64_t> fold(labels.size(), 0);
  for (const auto& [c, rows] : by) {
    const auto n = static_cast<int64_t>(rows.size());
    int64_t pos = 0;
    for (int64_t f = 0; f < k; ++f) {
      const int64_t size = n / k + (f < n % k ? 1 : 0);
      for (int64_t j = 0; j < size; ++j) fold[rows[static_cast<std::size_t>(pos++)]] = f;
    }
  }
  return fold;
}

}  // namespace lrid

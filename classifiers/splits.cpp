// Splits and folds. See splits.h.
#include "classifiers/splits.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "core/errors.h"

namespace lrid {
namespace {

// k distinct elements of `from`, uniformly, by a partial Fisher-Yates shuffle of a copy.
std::vector<int64_t> draw(std::vector<int64_t> from, int64_t k, std::mt19937_64& rng) {
  for (int64_t i = 0; i < k; ++i) {
    std::uniform_int_distribution<int64_t> pick(i, static_cast<int64_t>(from.size()) - 1);
    std::swap(from[static_cast<std::size_t>(i)], from[static_cast<std::size_t>(pick(rng))]);
  }
  from.resize(static_cast<std::size_t>(k));
  return from;
}

}  // namespace

std::vector<Split> balanced_splits(const std::vector<int64_t>& labels, int64_t num_classes, int64_t num_splits,
                                   uint64_t seed, const std::vector<int64_t>& train_pool_in,
                                   const std::vector<int64_t>& test_pool_in, int64_t n_train, int64_t n_test,
                                   int64_t min_train, const std::vector<std::string>& class_names) {
  auto all = [&] {
    std::vector<int64_t> v(labels.size());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>(i);
    return v;
  };
  const std::vector<int64_t> train_pool = train_pool_in.empty() ? all() : train_pool_in;
  const std::vector<int64_t> test_pool = test_pool_in.empty() ? all() : test_pool_in;
  auto name = [&](int64_t c) {
    return c < static_cast<int64_t>(class_names.size()) ? class_names[static_cast<std::size_t>(c)] : std::to_string(c);
  };
  std::vector<std::vector<int64_t>> train_by(num_classes), test_by(num_classes);
  for (int64_t r : train_pool) train_by[static_cast<std::size_t>(labels[static_cast<std::size_t>(r)])].push_back(r);
  for (int64_t r : test_pool) test_by[static_cast<std::size_t>(labels[static_cast<std::size_t>(r)])].push_back(r);
  const bool shared = train_pool_in.empty() && test_pool_in.empty();
  if (n_test < 0 || n_train < 0) {
    // m: the smallest per-class count (of the common pool, or of each pool when they differ).
    int64_t m_train = INT64_MAX, m_test = INT64_MAX;
    for (int64_t c = 0; c < num_classes; ++c) {
      m_train = std::min<int64_t>(m_train, static_cast<int64_t>(train_by[static_cast<std::size_t>(c)].size()));
      m_test = std::min<int64_t>(m_test, static_cast<int64_t>(test_by[static_cast<std::size_t>(c)].size()));
    }
    if (shared) {
      if (n_test < 0) n_test = m_train / 4;
      if (n_train < 0) n_train = m_train - n_test;
    } else {
      if (n_test < 0) n_test = m_test / 4;
      if (n_train < 0) n_train = m_train;  // disjoint pools: the test draw does not deplete the train pool
    }
  }
  for (int64_t c = 0; c < num_classes; ++c) {
    const auto nt = static_cast<int64_t>(test_by[static_cast<std::size_t>(c)].size());
    const auto nr = static_cast<int64_t>(train_by[static_cast<std::size_t>(c)].size());
    if (n_test < 1 || nt < n_test)
      throw DataError(fmt::format("class '{}' has {} test-pool rows: too few for a balanced test split of {} per "
                                  "class (need at least 4 rows per class)", name(c), nt, std::max<int64_t>(n_test, 1)));
    if (n_train < min_train)
      throw DataError(fmt::format("class '{}': {} training rows per class, fewer than the {} the inner "
                                  "cross-validation needs", name(c), n_train, min_train));
    (void)nr;
  }
  std::mt19937_64 rng(seed);
  std::vector<Split> out;
  for (int64_t s = 0; s < num_splits; ++s) {
    Split sp;
    std::set<int64_t> chosen;
    for (int64_t c = 0; c < num_classes; ++c) {
      auto t = draw(test_by[static_cast<std::size_t>(c)], n_test, rng);
      chosen.insert(t.begin(), t.end());
      sp.test.insert(sp.test.end(), t.begin(), t.end());
    }
    for (int64_t c = 0; c < num_classes; ++c) {
      std::vector<int64_t> left;
      for (int64_t r : train_by[static_cast<std::size_t>(c)])
        if (!chosen.count(r)) left.push_back(r);
      if (static_cast<int64_t>(left.size()) < n_train)
        throw DataError(fmt::format("class '{}': {} rows left for training after the test draw, {} needed", name(c),
                                    left.size(), n_train));
      auto t = draw(left, n_train, rng);
      sp.train.insert(sp.train.end(), t.begin(), t.end());
    }
    out.push_back(std::move(sp));
  }
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

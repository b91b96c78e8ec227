// Outer splits (§6.1) and inner folds (§6.3).
#include "classifiers/splits.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "core/errors.h"

namespace lrid {
namespace {

std::vector<int64_t> labels_of(const std::vector<int64_t>& counts) {
  std::vector<int64_t> l;
  for (std::size_t c = 0; c < counts.size(); ++c)
    for (int64_t i = 0; i < counts[c]; ++i) l.push_back(static_cast<int64_t>(c));
  // shuffle deterministically so classes are not contiguous
  std::mt19937 rng(3);
  std::shuffle(l.begin(), l.end(), rng);
  return l;
}

TEST(BalancedSplits, PerClassCountsFromTheSmallestClassAndDisjoint) {
  auto labels = labels_of({40, 25, 33});  // m = 25 -> 6 test, 19 train per class
  auto splits = balanced_splits(labels, 3, 10, 7);
  ASSERT_EQ(splits.size(), 10u);
  for (const auto& s : splits) {
    std::map<int64_t, int> tr, te;
    for (int64_t r : s.train) ++tr[labels[r]];
    for (int64_t r : s.test) ++te[labels[r]];
    for (int64_t c = 0; c < 3; ++c) {
      EXPECT_EQ(tr[c], 19);
      EXPECT_EQ(te[c], 6);
    }
    std::set<int64_t> a(s.train.begin(), s.train.end());
    for (int64_t r : s.test) EXPECT_FALSE(a.count(r));
  }
  EXPECT_NE(splits[0].test, splits[1].test);  // repeated random draws
  auto again = balanced_splits(labels, 3, 10, 7);
  EXPECT_EQ(again[3].train, splits[3].train);
  EXPECT_NE(balanced_splits(labels, 3, 10, 8)[0].test, splits[0].test);
}

TEST(BalancedSplits, DisjointPoolsAndTooFewRows) {
  auto labels = labels_of({20, 20});
  std::vector<int64_t> train_pool, test_pool;
  for (int64_t i = 0; i < 40; ++i) (i < 28 ? train_pool : test_pool).push_back(i);
  auto s = balanced_splits(labels, 2, 2, 0, train_pool, test_pool);
  for (int64_t r : s[0].train) EXPECT_LT(r, 28);
  for (int64_t r : s[0].test) EXPECT_GE(r, 28);
  EXPECT_THROW(balanced_splits(labels_of({20, 3}), 2, 10, 0), DataError);   // no test row for class 1
  EXPECT_THROW(balanced_splits(labels_of({20, 5}), 2, 10, 0), DataError);   // 1 test + 4 train < 5 folds
  EXPECT_NO_THROW(balanced_splits(labels_of({20, 6}), 2, 10, 0));           // 1 test + 5 train
}

TEST(StratifiedFolds, ContiguousBlocksWithExtrasFirst) {
  // class 0 rows at positions 0..6 (7 rows), class 1 at 7..11 (5 rows), k = 5.
  std::vector<int64_t> labels = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
  auto f = stratified_folds(labels, 5);
  EXPECT_EQ(f, (std::vector<int64_t>{0, 0, 1, 1, 2, 3, 4, 0, 1, 2, 3, 4}));
}

}  // namespace
}  // namespace lrid

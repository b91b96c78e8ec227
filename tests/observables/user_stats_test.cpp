// The observables of a user's own recording (observables/user_stats.h, `lrid
// stats`): names in canonical order, how each measure reads the array's shape
// (hand-computed values), the function applied before the sample reduction,
// DataErrors for empty or misshapen arrays, and the golden values of every
// statistic from the NumPy/SciPy reference (tests/golden/statistics.json,
// written by tests/observables/golden_statistics.py).
#include "observables/user_stats.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <map>
#include <string>

#include "core/errors.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

bool same_or_both_nan(double a, double b, double rel = 1e-9) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= rel * std::max({1.0, std::fabs(a), std::fabs(b)});
}

// user_statistics as a name -> value map.
std::map<std::string, double> user_values(const torch::Tensor& a, Measure m,
                                          SampleReduction r = SampleReduction::kMean) {
  UserStatsOptions o;
  o.measure = m;
  o.sample_reduction = r;
  std::map<std::string, double> out;
  for (const auto& [name, value] : user_statistics(a, o, "test")) out[name] = value;
  return out;
}

TEST(UserStats, NamesInCanonicalOrderPerMeasure) {
  UserStatsOptions o;
  for (Measure m : {Measure::kWeight, Measure::kAct, Measure::kGradavg}) {
    o.measure = m;
    const auto got = user_statistics(torch::rand({2, 3, 4}, torch::kFloat64), o, "a.npy");
    std::vector<std::string> names;
    for (const auto& [n, v] : got) names.push_back(n);
    EXPECT_EQ(names, measure_observables(m)) << measure_name(m);
  }
}

TEST(UserStats, WeightsAreEveryEntry) {
  // The entries 3 and -4 as [2], [2, 1] or [1, 1, 2]: the same values.
  for (const auto& w : {torch::tensor({3.0, -4.0}), torch::tensor({{3.0}, {-4.0}}), torch::tensor({{{3.0, -4.0}}})}) {
    auto v = user_values(w, Measure::kWeight);
    EXPECT_DOUBLE_EQ(v.at("weightraw_mean"), -0.5);
    EXPECT_DOUBLE_EQ(v.at("weightabs_mean"), 3.5);
    EXPECT_DOUBLE_EQ(v.at("weightraw_norm"), 5.0);
    EXPECT_DOUBLE_EQ(v.at("weightsq_mean"), 12.5);
    EXPECT_DOUBLE_EQ(v.at("weightraw_median"), 3.0);  // n = 2: the larger value (§3.3)
  }
  EXPECT_DOUBLE_EQ(user_values(torch::tensor(2.0), Measure::kWeight).at("weightsq_mean"), 4.0);  // 0-d: one synapse
}

TEST(UserStats, ActsArePerSampleThenReduced) {
  // Two samples [1, 2] and [3, 5]: per-sample means 1.5 and 4, norms sqrt(5) and sqrt(34).
  const torch::Tensor a = torch::tensor({{1.0, 2.0}, {3.0, 5.0}});
  auto v = user_values(a, Measure::kAct);
  EXPECT_DOUBLE_EQ(v.at("actraw_mean"), 2.75);
  EXPECT_NEAR(v.at("actraw_norm"), (std::sqrt(5.0) + std::sqrt(34.0)) / 2, 1e-12);
  EXPECT_DOUBLE_EQ(v.at("actraw_var"), (0.25 + 1.0) / 2);  // population variance per sample
  // The median over the two samples is the larger (§3.3).
  EXPECT_DOUBLE_EQ(user_values(a, Measure::kAct, SampleReduction::kMedian).at("actraw_mean"), 4.0);
  // 1-D: one sample of every unit; N-D: the first axis is samples, the rest units.
  EXPECT_DOUBLE_EQ(user_values(torch::tensor({1.0, 2.0, 3.0, 5.0}), Measure::kAct).at("actraw_mean"), 2.75);
  EXPECT_DOUBLE_EQ(user_values(a.view({2, 1, 2}), Measure::kAct).at("actraw_norm"), v.at("actraw_norm"));
}

TEST(UserStats, GradavgAppliesTheFunctionBeforeTheSampleMean) {
  // J = [[1, 2], [3, 4]]: (1/n_out) sum J = 5; a second sample -J gives -5.
  const torch::Tensor j = torch::tensor({{1.0, 2.0}, {3.0, 4.0}});
  auto one = user_values(j, Measure::kGradavg);
  EXPECT_DOUBLE_EQ(one.at("gradavgraw_id"), 5.0);
  EXPECT_DOUBLE_EQ(one.at("gradavgsq_id"), 25.0);
  auto two = user_values(torch::stack({j, -j}), Measure::kGradavg);
  EXPECT_DOUBLE_EQ(two.at("gradavgraw_id"), 0.0);
  EXPECT_DOUBLE_EQ(two.at("gradavgabs_id"), 5.0);  // not |mean raw| = 0
  EXPECT_DOUBLE_EQ(two.at("gradavgsq_id"), 25.0);
}

TEST(UserStats, EmptyOrMisshapenArraysAreDataErrors) {
  UserStatsOptions o;
  test::expect_error<DataError>([&] { user_statistics(torch::zeros({0, 3}), o, "rec.npy"); },
                                "rec.npy: the array is empty");
  o.measure = Measure::kGradavg;
  test::expect_error<DataError>([&] { user_statistics(torch::ones({4}), o, "jac.npy"); }, "jac.npy: gradavg needs");
  test::expect_error<DataError>([&] { user_statistics(torch::ones({2, 2, 2, 2}), o, "jac.npy"); }, "4 dimensions");
}

// Moved from statistics_test.cpp: it runs every case through user_statistics.
TEST(Golden, EveryStatisticMatchesTheNumPyReference) {
  YAML::Node g = YAML::LoadFile(std::string(LRID_SOURCE_DIR) + "/tests/golden/statistics.json");
  int compared = 0;
  for (const auto& c : g["cases"]) {
    const std::string label = c["label"].as<std::string>();
    std::vector<double> data = c["data"].as<std::vector<double>>();
    std::vector<int64_t> shape = c["shape"].as<std::vector<int64_t>>();
    torch::Tensor a = torch::tensor(data, torch::kFloat64).view(shape);
    if (c["dtype"].as<std::string>() == "float32") a = a.to(torch::kFloat32);
    UserStatsOptions o;
    o.measure = parse_measure(c["measure"].as<std::string>(), label);
    const YAML::Node opt = c["options"];
    if (opt["frac"]) o.condition.frac = opt["frac"].as<double>();
    if (opt["seed"]) o.condition.seed = opt["seed"].as<int64_t>();
    if (opt["reduction"]) o.sample_reduction = parse_sample_reduction(opt["reduction"].as<std::string>(), label);
    if (opt["norm"]) o.weight_norm = parse_weight_norm_mode(opt["norm"].as<std::string>(), label);
    auto got = user_statistics(a, o, label);
    const YAML::Node want = c["expected"];
    ASSERT_EQ(got.size(), want.size()) << label;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].first, c["names"][i].as<std::string>());
      const double w = want[i].IsNull() ? std::nan("") : want[i].as<double>();
      EXPECT_TRUE(same_or_both_nan(got[i].second, w)) << label << " " << got[i].first << ": " << got[i].second << " vs " << w;
      ++compared;
    }
  }
  EXPECT_GE(compared, 300);
}

}  // namespace
}  // namespace lrid

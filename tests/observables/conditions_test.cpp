// Measurement conditions (science.md §4): names and validation, k = ceil(frac·n)
// kept units from a permutation seeded per (obs_seed, role, n) and stable
// across samplers, keep() along the last axis, absolute Gaussian noise, and the
// noise stream of one measurement. Golden subsets and draws come from PyTorch's
// own CPU generator seeded with splitmix64 mixes computed in Python:
//   s = mix(mix(obs_seed, role), n); torch.randperm(n, generator=Generator().manual_seed(s))[:k]
#include "observables/conditions.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

MeasurementCondition condition_of(std::optional<double> frac, std::optional<double> stddev, int64_t seed = 0) {
  MeasurementCondition c;
  c.frac = frac;
  c.stddev = stddev;
  c.seed = seed;
  return c;
}

std::vector<int64_t> as_vector(const torch::Tensor& t) {
  return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
}

TEST(MeasurementCondition, NamesAndValidation) {
  EXPECT_EQ(condition_of({}, {}).name(), "full");
  EXPECT_EQ(condition_of(1.0, 0.0).name(), "full");  // every unit, no noise
  EXPECT_EQ(condition_of(0.01, {}).name(), "frac0.01");
  EXPECT_EQ(condition_of({}, 3.0).name(), "noise3");
  EXPECT_EQ(condition_of(0.01, 3.0).name(), "frac0.01_noise3");
  EXPECT_EQ(condition_of(0.5, 0.25, 7).name(), "frac0.5_noise0.25_seed7");
  EXPECT_EQ(condition_of({}, {}, 2).name(), "full_seed2");
  condition_of(1.0, 0.0).validate("ok");
  condition_of(1e-6, 100.0).validate("ok");
  test::expect_error<ConfigError>([] { condition_of(0.0, {}).validate("observables.parameters"); },
                                  "observables.parameters: subsampling fraction 0 is outside (0, 1]");
  test::expect_error<ConfigError>([] { condition_of(1.5, {}).validate("here"); }, "1.5");
  test::expect_error<ConfigError>([] { condition_of(std::nan(""), {}).validate("here"); }, "fraction");
  test::expect_error<ConfigError>([] { condition_of({}, -1.0).validate("here"); }, "here: noise standard deviation -1");
  test::expect_error<ConfigError>([] { condition_of({}, INFINITY).validate("here"); }, "finite");
}

// Moved from measures_test.cpp (kept_count and UnitSampler are this file's).
TEST(Subsampling, KeptCountIsCeilAndAtLeastOne) {
  EXPECT_EQ(kept_count(10, 0.01), 1);
  EXPECT_EQ(kept_count(300, 0.01), 3);
  EXPECT_EQ(kept_count(7, 0.5), 4);
  EXPECT_EQ(kept_count(1000, 0.001), 1);
  EXPECT_EQ(kept_count(5, 1.0), 5);
}

TEST(Subsampling, SubsetsAreSeededPerRoleAndStable) {
  MeasurementCondition c;
  c.frac = 0.1;
  c.seed = 4;
  UnitSampler a(c), b(c);
  torch::Tensor act = a.indices(UnitRole::kAct, 500);
  EXPECT_EQ(act.size(0), 50);
  EXPECT_TRUE(torch::equal(act, b.indices(UnitRole::kAct, 500)));  // same at every checkpoint and run
  EXPECT_TRUE(torch::equal(act, std::get<0>(act.sort())));
  EXPECT_FALSE(torch::equal(a.indices(UnitRole::kPre, 500), a.indices(UnitRole::kPost, 500)));
  EXPECT_FALSE(torch::equal(a.indices(UnitRole::kAct, 500), a.indices(UnitRole::kWeight, 500)));
  c.seed = 5;
  EXPECT_FALSE(torch::equal(UnitSampler(c).indices(UnitRole::kAct, 500), act));
  EXPECT_FALSE(UnitSampler(MeasurementCondition{}).indices(UnitRole::kAct, 500).defined());
}

TEST(Subsampling, SubsetsEqualTheFirstKOfTheSeededPermutation) {
  UnitSampler s(condition_of(0.25, {}, 4));
  EXPECT_EQ(as_vector(s.indices(UnitRole::kAct, 20)), (std::vector<int64_t>{2, 10, 12, 13, 15}));
  EXPECT_EQ(as_vector(s.indices(UnitRole::kPre, 20)), (std::vector<int64_t>{3, 5, 9, 10, 14}));
  UnitSampler w(condition_of(0.3, {}, 0));
  EXPECT_EQ(as_vector(w.indices(UnitRole::kWeight, 10)), (std::vector<int64_t>{4, 5, 7}));
  EXPECT_EQ(s.indices(UnitRole::kAct, 20).scalar_type(), torch::kInt64);
  // frac = 1 keeps every unit without indices.
  EXPECT_FALSE(UnitSampler(condition_of(1.0, {}, 4)).indices(UnitRole::kAct, 20).defined());
}

TEST(Subsampling, KeepSelectsAlongTheLastAxis) {
  UnitSampler s(condition_of(0.25, {}, 4));
  torch::Tensor x = torch::arange(60, torch::kFloat32).view({3, 20});
  torch::Tensor kept = s.keep(x, UnitRole::kAct);
  ASSERT_EQ(kept.sizes(), (std::vector<int64_t>{3, 5}));
  EXPECT_TRUE(torch::equal(kept[0], torch::tensor({2.f, 10.f, 12.f, 13.f, 15.f})));
  EXPECT_TRUE(torch::equal(kept[2], torch::tensor({42.f, 50.f, 52.f, 53.f, 55.f})));
  UnitSampler all{MeasurementCondition{}};
  EXPECT_TRUE(all.keep(x, UnitRole::kAct).is_same(x));
}

TEST(Noise, AbsoluteGaussianInDoubleAndNoneWithoutSigma) {
  torch::Tensor x = torch::full({200000}, 10.0f);
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(1);
  torch::Tensor y = UnitSampler(condition_of({}, 2.0)).add_noise(x, g);
  EXPECT_EQ(y.scalar_type(), torch::kFloat64);
  const double mean = y.mean().item<double>(), sd = y.std().item<double>();
  EXPECT_NEAR(mean, 10.0, 4 * 2.0 / std::sqrt(200000.0));  // σ is absolute, not relative to 10
  EXPECT_NEAR(sd, 2.0, 0.02);
  // No noise: the very tensor back, and the generator untouched.
  torch::Generator h = at::make_generator<at::CPUGeneratorImpl>(1);
  EXPECT_TRUE(UnitSampler(condition_of({}, 0.0)).add_noise(x, h).is_same(x));
  torch::Generator fresh = at::make_generator<at::CPUGeneratorImpl>(1);
  EXPECT_TRUE(torch::equal(torch::randn({4}, h), torch::randn({4}, fresh)));
}

TEST(Noise, OneStreamPerMeasurement) {
  auto draw = [](int64_t obs_seed, uint64_t run, int64_t layer, int64_t point, int measure) {
    torch::Generator g = noise_generator(obs_seed, run, layer, point, measure);
    return torch::randn({4}, g, torch::kFloat64);
  };
  // Golden: torch.randn(4, dtype=float64) from the seed mix(mix(mix(mix(mix(3, 11), 2), 5), 1)).
  const torch::Tensor want = torch::tensor({-0.34968612465920984, 1.0060145499613828, -0.7906086988186792,
                                            1.0785724080039951}, torch::kFloat64);
  EXPECT_TRUE(torch::allclose(draw(3, 11, 2, 5, 1), want, 0, 1e-15)) << draw(3, 11, 2, 5, 1);
  EXPECT_TRUE(torch::equal(draw(3, 11, 2, 5, 1), draw(3, 11, 2, 5, 1)));
  for (const auto& other : {draw(4, 11, 2, 5, 1), draw(3, 12, 2, 5, 1), draw(3, 11, 3, 5, 1), draw(3, 11, 2, 6, 1),
                            draw(3, 11, 2, 5, 2), draw(3, 11, 5, 2, 1)})
    EXPECT_FALSE(torch::allclose(other, want));
}

}  // namespace
}  // namespace lrid

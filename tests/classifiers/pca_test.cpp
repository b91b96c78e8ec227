// PCA against scikit-learn's PCA(svd_solver="full") (tests/golden/make_svm_golden.py):
// transform, components (after sklearn's sign convention), mean and explained
// variance to 1e-8; wide data; save/load; parameter and data checks.
#include "classifiers/pca.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "core/errors.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

torch::Tensor to_tensor(const YAML::Node& node) {
  std::vector<double> v;
  int64_t rows = 0;
  bool nested = node[0].IsSequence();
  for (const auto& r : node) {
    if (nested) {
      for (const auto& e : r) v.push_back(e.as<double>());
    } else {
      v.push_back(r.as<double>());
    }
    ++rows;
  }
  torch::Tensor t = torch::tensor(v, torch::kFloat64);
  return nested ? t.reshape({rows, -1}) : t;
}

const YAML::Node& pca_golden() {
  static const YAML::Node g = YAML::LoadFile(std::string(LRID_SOURCE_DIR) + "/tests/golden/svm/pca.json");
  return g;
}

void expect_close(const torch::Tensor& a, const torch::Tensor& b, double atol, const char* what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_TRUE(torch::allclose(a, b, 0.0, atol)) << what << " max diff " << (a - b).abs().max().item<double>();
}

TEST(PcaGolden, MatchesSklearnFullSolver) {
  const YAML::Node& g = pca_golden();
  Pca pca(g["n_components"].as<int64_t>());
  const torch::Tensor x = to_tensor(g["x"]);
  pca.fit(x);
  expect_close(pca.mean(), to_tensor(g["mean"]), 1e-8, "mean");
  expect_close(pca.components(), to_tensor(g["components"]), 1e-8, "components");
  expect_close(pca.explained_variance(), to_tensor(g["explained_variance"]), 1e-8, "explained_variance");
  expect_close(pca.transform(x), to_tensor(g["transform"]), 1e-8, "transform");
}

TEST(Pca, WideDataComponentsAreOrthonormalWithSklearnSigns) {
  torch::manual_seed(5);
  const torch::Tensor x = torch::randn({6, 10}, torch::kFloat64);
  Pca pca(6);
  pca.fit(x);
  const torch::Tensor v = pca.components();  // [6, 10]
  expect_close(v.matmul(v.t()), torch::eye(6, torch::kFloat64), 1e-10, "V V^T");
  // Largest-|v| entry of each component is positive.
  EXPECT_TRUE(v.gather(1, v.abs().argmax(1, true)).gt(0).all().item<bool>());
  // The scores' variances are the explained variances, in decreasing order.
  const torch::Tensor z = pca.transform(x);
  expect_close(z.var(0, /*unbiased=*/true), pca.explained_variance(), 1e-10, "score variance");
  EXPECT_TRUE(pca.explained_variance().slice(0, 0, 5).ge(pca.explained_variance().slice(0, 1, 6)).all().item<bool>());
}

TEST(Pca, SaveLoadRoundTrip) {
  const YAML::Node& g = pca_golden();
  Pca pca(3);
  const torch::Tensor x = to_tensor(g["x"]);
  pca.fit(x);
  torch::serialize::OutputArchive out;
  pca.save(out);
  std::stringstream buffer;
  out.save_to(buffer);
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  Pca loaded(1);
  loaded.load(in);
  EXPECT_EQ(loaded.n_components(), 3);
  EXPECT_TRUE(loaded.transform(x).equal(pca.transform(x)));
  EXPECT_TRUE(loaded.explained_variance().equal(pca.explained_variance()));
}

TEST(Pca, InvalidComponentsAndDataThrow) {
  test::expect_error<ConfigError>([] { Pca p(0); }, "n_components");
  const torch::Tensor x = torch::randn({8, 5}, torch::kFloat64);
  test::expect_error<ConfigError>([&] { Pca(6).fit(x); }, "n_components = 6 exceeds min(n_rows, n_features)");
  test::expect_error<ConfigError>([&] { Pca(9).fit(x.t()); }, "n_components");
  torch::Tensor bad = x.clone();
  bad[1][1] = std::numeric_limits<double>::quiet_NaN();
  test::expect_error<DataError>([&] { Pca(2).fit(bad); }, "NaN");
  Pca pca(2);
  pca.fit(x);
  test::expect_error<DataError>([&] { pca.transform(bad); }, "NaN");
  EXPECT_THROW(pca.transform(torch::randn({2, 4}, torch::kFloat64)), c10::Error);
  EXPECT_THROW(Pca(2).transform(x), c10::Error);
}

}  // namespace
}  // namespace lrid

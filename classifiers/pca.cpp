// PCA by thin SVD with scikit-learn's sign convention. See pca.h.
#include "classifiers/pca.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/errors.h"

namespace lrid {
namespace {

void check_x(const torch::Tensor& x, const char* what) {
  TORCH_CHECK(x.dim() == 2 && x.scalar_type() == torch::kFloat64 && x.device().is_cpu(),
              "pca: ", what, " x must be a float64 [n, d] CPU tensor, got ", x.sizes(), " ", x.scalar_type());
  if (!torch::isfinite(x).all().item<bool>()) {
    throw DataError(fmt::format("pca: {} x contains NaN or infinite values", what));
  }
}

}  // namespace

Pca::Pca(int64_t n_components) : n_components_(n_components) {
  if (n_components < 1) throw ConfigError(fmt::format("pca: n_components must be >= 1, got {}", n_components));
}

void Pca::fit(const torch::Tensor& x) {
  check_x(x, "fit");
  const int64_t n = x.size(0), d = x.size(1);
  if (n < 2) throw DataError(fmt::format("pca: fit needs at least 2 rows, got {}", n));
  if (n_components_ > std::min(n, d)) {
    throw ConfigError(fmt::format("pca: n_components = {} exceeds min(n_rows, n_features) = min({}, {})",
                                  n_components_, n, d));
  }
  torch::Tensor mean = x.mean(0);                                // [d]
  auto [u, s, vh] = torch::linalg_svd(x - mean, /*full_matrices=*/false);  // vh: [min(n,d), d]
  torch::Tensor v = vh.slice(0, 0, n_components_);               // [k, d]
  // svd_flip(u_based_decision=False): the largest-|v| entry of each row is positive.
  torch::Tensor pivot = v.abs().argmax(1, /*keepdim=*/true);     // [k, 1]
  torch::Tensor sign = v.gather(1, pivot).sign();                // [k, 1]
  sign.masked_fill_(sign == 0, 1.0);
  mean_ = mean;
  components_ = (v * sign).contiguous();
  explained_variance_ = s.slice(0, 0, n_components_).square() / static_cast<double>(n - 1);
}

torch::Tensor Pca::transform(const torch::Tensor& x) const {
  TORCH_CHECK(fitted(), "pca: the model is not fitted");
  check_x(x, "transform");
  TORCH_CHECK(x.size(1) == mean_.size(0), "pca: x has ", x.size(1), " features, the model ", mean_.size(0));
  return torch::matmul(x - mean_, components_.t());  // [m, k]
}

torch::Tensor Pca::components() const {
  TORCH_CHECK(fitted(), "pca: the model is not fitted");
  return components_;
}

torch::Tensor Pca::mean() const {
  TORCH_CHECK(fitted(), "pca: the model is not fitted");
  return mean_;
}

torch::Tensor Pca::explained_variance() const {
  TORCH_CHECK(fitted(), "pca: the model is not fitted");
  return explained_variance_;
}

void Pca::save(torch::serialize::OutputArchive& archive) const {
  TORCH_CHECK(fitted(), "pca: cannot save a model that is not fitted");
  archive.write("n_components", torch::tensor(n_components_, torch::kInt64));
  archive.write("mean", mean_);
  archive.write("components", components_);
  archive.write("explained_variance", explained_variance_);
}

void Pca::load(torch::serialize::InputArchive& archive) {
  torch::Tensor k, mean, components, variance;
  archive.read("n_components", k);
  archive.read("mean", mean);
  archive.read("components", components);
  archive.read("explained_variance", variance);
  const int64_t nk = k.item<int64_t>();
  if (nk < 1 || mean.dim() != 1 || components.dim() != 2 || components.size(0) != nk ||
      components.size(1) != mean.size(0) || variance.dim() != 1 || variance.size(0) != nk) {
    throw IoError("pca: archive holds an inconsistent model");
  }
  n_components_ = nk;
  mean_ = mean.to(torch::kFloat64).contiguous();
  components_ = components.to(torch::kFloat64).contiguous();
  explained_variance_ = variance.to(torch::kFloat64).contiguous();
}

}  // namespace lrid

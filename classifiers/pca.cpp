// PCA by thin SVD with scikit-learn's sign convention. See pca.h.
#include "classifiers/pca.h"

#include <algorithm>

#include <fmt/format.h>

#include "classifiers/archive_io.h"
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

// A fitted model's tensor; c10::Error when the model is not fitted (the tensor is undefined).
const torch::Tensor& fitted_pca_state(const torch::Tensor& t) {
  TORCH_CHECK(t.defined(), "pca: the model is not fitted");
  return t;
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

torch::Tensor Pca::components() const { return fitted_pca_state(components_); }

torch::Tensor Pca::mean() const { return fitted_pca_state(mean_); }

torch::Tensor Pca::explained_variance() const { return fitted_pca_state(explained_variance_); }

void Pca::save(torch::serialize::OutputArchive& archive) const {
  TORCH_CHECK(fitted(), "pca: cannot save a model that is not fitted");
  write_tensors(archive, {{"n_components", torch::tensor(n_components_, torch::kInt64)},
                          {"mean", mean_},
                          {"components", components_},
                          {"explained_variance", explained_variance_}});
}

void Pca::load(torch::serialize::InputArchive& archive) {
  const torch::Tensor k = read_tensor(archive, "n_components"), mean = read_tensor(archive, "mean");
  const torch::Tensor components = read_tensor(archive, "components");
  const torch::Tensor variance = read_tensor(archive, "explained_variance");
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

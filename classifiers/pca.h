// PCA of the classifier stage's PCA -> SVM pipeline (science.md §6.5): centred, not
// whitened, fitted by a thin SVD of the centred float64 data (scikit-learn's "full"
// solver). Components are the top right singular vectors with scikit-learn's sign
// convention (svd_flip with u_based_decision=False, what PCA uses since 1.5: the
// largest-|v| entry of each component is positive), so transforms match
// sklearn.decomposition.PCA. n_components > min(n_rows, n_features) is invalid
// (ConfigError at fit); the protocol skips such configurations.
#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace lrid {

class Pca {
 public:
  explicit Pca(int64_t n_components);  // >= 1, else ConfigError

  void fit(const torch::Tensor& x);                       // x: float64 [n, d] CPU, finite, n >= 2
  torch::Tensor transform(const torch::Tensor& x) const;  // float64 [m, n_components]

  int64_t n_components() const { return n_components_; }
  bool fitted() const { return components_.defined(); }
  torch::Tensor components() const;          // float64 [n_components, d], orthonormal rows
  torch::Tensor mean() const;                // float64 [d]
  torch::Tensor explained_variance() const;  // float64 [n_components], S^2 / (n - 1)

  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  int64_t n_components_;
  torch::Tensor mean_, components_, explained_variance_;
};

}  // namespace lrid

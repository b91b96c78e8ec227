// Linear SVM of the classifier stage (science.md §6.5): liblinear's L2-regularised
// squared-hinge loss solved in the dual (L2R_L2LOSS_SVC_DUAL), one-vs-rest, with a
// regularised intercept (problem.bias = intercept_scaling). These are scikit-learn
// LinearSVC's defaults. liblinear 2.3.0 has no max_iter parameter: its dual
// coordinate-descent solver (solve_l2r_l1l2_svc) hard-codes max_iter = 1000 outer
// iterations, which is LinearSVC's default cap, so "at most 1000 iterations" holds.
// Stopping at the cap is silent here (liblinear's warning goes to the no-op printer;
// scikit-learn would raise a ConvergenceWarning); large C on unscaled data hits it.
// Beyond the cap, the one known difference from LinearSVC is the coordinate shuffle:
// liblinear uses rand() (seeded with `seed` before each train), scikit-learn its own
// RNG, so models agree to the solver tolerance rather than bit for bit.
//
// Decision values: x · coef^T + intercept. With two classes liblinear has one decision
// value f (f > 0 means class 1); decision_function then returns [-f, f] so that argmax
// is the prediction in every case. Classes absent from the training data get coef 0
// and intercept -inf (never predicted); with one present class the model is constant.
#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace lrid {

struct LinearSvmOptions {
  double C = 1.0;                  // inverse regularisation strength, > 0
  double tol = 1e-4;               // liblinear eps (dual projected-gradient gap), > 0
  double intercept_scaling = 1.0;  // value of the synthetic bias feature, > 0
  uint64_t seed = 0;               // srand() seed for liblinear's coordinate shuffling
  void validate() const;           // throws ConfigError naming the bad field
};

class LinearSvm {
 public:
  explicit LinearSvm(LinearSvmOptions o = {});

  // x: float64 [n, d] CPU, finite; y: int64 [n] with values in [0, num_classes).
  void fit(const torch::Tensor& x, const torch::Tensor& y, int64_t num_classes);

  // float64 [n, k]; for k == 2 column 1 = f(x), column 0 = -f(x).
  torch::Tensor decision_function(const torch::Tensor& x) const;
  torch::Tensor predict(const torch::Tensor& x) const;  // int64 [n], argmax of decision values

  torch::Tensor coef() const;       // float64 [k, d], or [1, d] when k == 2
  torch::Tensor intercept() const;  // float64 [k], or [1] when k == 2
  int64_t num_classes() const { return num_classes_; }
  bool fitted() const { return coef_.defined(); }
  const LinearSvmOptions& options() const { return options_; }

  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  void check_input(const torch::Tensor& x) const;

  LinearSvmOptions options_;
  int64_t num_classes_ = 0;
  torch::Tensor coef_;       // float64 [k or 1, d]
  torch::Tensor intercept_;  // float64 [k or 1]
};

}  // namespace lrid

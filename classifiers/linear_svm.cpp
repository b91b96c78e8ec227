// Linear SVM through liblinear (L2R_L2LOSS_SVC_DUAL, one-vs-rest). See linear_svm.h.
#include "classifiers/linear_svm.h"

#include <linear.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/errors.h"

namespace lrid {
namespace {

// liblinear shuffles with the C library's global rand() and prints through a global
// function pointer: every train() call holds this lock, sets both, then trains.
std::mutex& liblinear_mutex() {
  static std::mutex m;
  return m;
}

void silent_print(const char*) {}

void check_positive(double v, const char* field) {
  if (!std::isfinite(v) || v <= 0.0) {
    throw ConfigError(fmt::format("linear_svm: {} must be a finite number > 0, got {}", field, v));
  }
}

void check_finite(const torch::Tensor& x, const char* what) {
  if (!torch::isfinite(x).all().item<bool>()) {
    throw DataError(fmt::format("linear_svm: {} contains NaN or infinite values", what));
  }
}

struct ModelDeleter {
  void operator()(model* m) const { free_and_destroy_model(&m); }
};

}  // namespace

void LinearSvmOptions::validate() const {
  check_positive(C, "C");
  check_positive(tol, "tol");
  check_positive(intercept_scaling, "intercept_scaling");
}

LinearSvm::LinearSvm(LinearSvmOptions o) : options_(o) { options_.validate(); }

void LinearSvm::fit(const torch::Tensor& x_in, const torch::Tensor& y_in, int64_t num_classes) {
  options_.validate();
  if (num_classes < 2) throw ConfigError(fmt::format("linear_svm: num_classes must be >= 2, got {}", num_classes));
  TORCH_CHECK(x_in.dim() == 2 && x_in.scalar_type() == torch::kFloat64 && x_in.device().is_cpu(),
              "linear_svm: x must be a float64 [n, d] CPU tensor, got ", x_in.sizes(), " ", x_in.scalar_type());
  TORCH_CHECK(y_in.dim() == 1 && y_in.scalar_type() == torch::kInt64 && y_in.device().is_cpu(),
              "linear_svm: y must be an int64 [n] CPU tensor");
  TORCH_CHECK(y_in.size(0) == x_in.size(0), "linear_svm: x has ", x_in.size(0), " rows but y has ", y_in.size(0));
  const int64_t n = x_in.size(0), d = x_in.size(1);
  if (n < 1 || d < 1) throw DataError(fmt::format("linear_svm: fit needs at least one row and one feature, got [{}, {}]", n, d));
  TORCH_CHECK(n < std::numeric_limits<int>::max() && d < std::numeric_limits<int>::max() - 1,
              "linear_svm: liblinear indexes rows and features with int");
  check_finite(x_in, "x");
  const torch::Tensor x = x_in.contiguous();
  const torch::Tensor y = y_in.contiguous();
  const double* xp = x.data_ptr<double>();
  const int64_t* yp = y.data_ptr<int64_t>();
  std::vector<int64_t> count(num_classes, 0);
  for (int64_t i = 0; i < n; ++i) {
    if (yp[i] < 0 || yp[i] >= num_classes) {
      throw DataError(fmt::format("linear_svm: label {} at row {} is outside [0, {})", yp[i], i, num_classes));
    }
    ++count[yp[i]];
  }
  std::vector<int64_t> present;  // class ids seen in y, ascending
  for (int64_t c = 0; c < num_classes; ++c)
    if (count[c] > 0) present.push_back(c);

  // Full model [k, d]: absent classes get coef 0 and intercept -inf.
  const double neg_inf = -std::numeric_limits<double>::infinity();
  torch::Tensor coef = torch::zeros({num_classes, d}, torch::kFloat64);
  torch::Tensor intercept = torch::full({num_classes}, neg_inf, torch::kFloat64);
  if (present.size() == 1) {
    intercept[present[0]] = 0.0;  // constant model: nothing to separate
  } else {
    // Dense -> sparse rows (1-based indices, zeros skipped), each ending with the bias
    // node (index d + 1, value intercept_scaling) and the -1 terminator.
    int64_t nnz = 0;
    for (int64_t i = 0; i < n * d; ++i) nnz += xp[i] != 0.0;
    std::vector<feature_node> nodes(static_cast<size_t>(nnz + 2 * n));
    std::vector<feature_node*> rows(n);
    std::vector<double> labels(n);
    feature_node* node = nodes.data();
    for (int64_t i = 0; i < n; ++i) {
      rows[i] = node;
      const double* xi = xp + i * d;
      for (int64_t j = 0; j < d; ++j)
        if (xi[j] != 0.0) *node++ = {static_cast<int>(j + 1), xi[j]};
      *node++ = {static_cast<int>(d + 1), options_.intercept_scaling};
      *node++ = {-1, 0.0};
      labels[i] = static_cast<double>(yp[i]);
    }
    problem prob{};
    prob.l = static_cast<int>(n);
    prob.n = static_cast<int>(d + 1);  // liblinear counts the bias feature
    prob.y = labels.data();
    prob.x = rows.data();
    prob.bias = options_.intercept_scaling;
    parameter param{};
    param.solver_type = L2R_L2LOSS_SVC_DUAL;
    param.eps = options_.tol;
    param.C = options_.C;
    param.nr_weight = 0;
    param.p = 0.1;  // unused by classification solvers; liblinear's default
    if (const char* err = check_parameter(&prob, &param)) throw ConfigError(fmt::format("linear_svm: liblinear rejected the parameters: {}", err));

    std::unique_ptr<model, ModelDeleter> m;
    {
      std::lock_guard<std::mutex> lock(liblinear_mutex());
      set_print_string_function(&silent_print);
      std::srand(static_cast<unsigned>(options_.seed ^ (options_.seed >> 32)));
      m.reset(train(&prob, &param));
    }
    TORCH_CHECK(m && m->nr_class == static_cast<int>(present.size()), "linear_svm: liblinear returned an unexpected model");
    // liblinear numbers classes by first appearance; label[i] is our class id. For
    // two classes get_decfun_* already returns the negated hyperplane for label[1].
    auto ca = coef.accessor<double, 2>();
    auto ia = intercept.accessor<double, 1>();
    for (int li = 0; li < m->nr_class; ++li) {
      const int64_t c = m->label[li];
      for (int64_t j = 0; j < d; ++j) ca[c][j] = get_decfun_coef(m.get(), static_cast<int>(j + 1), li);
      ia[c] = get_decfun_bias(m.get(), li);
    }
  }
  if (num_classes == 2) {
    // One decision value f = decision(class 1) - 0; for two present classes the rows
    // are exact negatives, otherwise the +-inf intercept carries the constant answer.
    if (present.size() == 2) {
      coef = coef.slice(0, 1, 2).clone();
      intercept = intercept.slice(0, 1, 2).clone();
    } else {
      coef = torch::zeros({1, d}, torch::kFloat64);
      intercept = torch::full({1}, present[0] == 1 ? -neg_inf : neg_inf, torch::kFloat64);
    }
  }
  num_classes_ = num_classes;
  coef_ = coef;
  intercept_ = intercept;
}

void LinearSvm::check_input(const torch::Tensor& x) const {
  TORCH_CHECK(fitted(), "linear_svm: the model is not fitted");
  TORCH_CHECK(x.dim() == 2 && x.scalar_type() == torch::kFloat64 && x.device().is_cpu(),
              "linear_svm: x must be a float64 [n, d] CPU tensor, got ", x.sizes(), " ", x.scalar_type());
  TORCH_CHECK(x.size(1) == coef_.size(1), "linear_svm: x has ", x.size(1), " features, the model ", coef_.size(1));
  check_finite(x, "x");
}

torch::Tensor LinearSvm::decision_function(const torch::Tensor& x) const {
  check_input(x);
  torch::Tensor dec = torch::addmm(intercept_, x, coef_.t());  // [n, k or 1]
  if (num_classes_ == 2) dec = torch::cat({-dec, dec}, 1);    // [n, 2]
  return dec;
}

torch::Tensor LinearSvm::predict(const torch::Tensor& x) const { return decision_function(x).argmax(1); }

torch::Tensor LinearSvm::coef() const {
  TORCH_CHECK(fitted(), "linear_svm: the model is not fitted");
  return coef_;
}

torch::Tensor LinearSvm::intercept() const {
  TORCH_CHECK(fitted(), "linear_svm: the model is not fitted");
  return intercept_;
}

void LinearSvm::save(torch::serialize::OutputArchive& archive) const {
  TORCH_CHECK(fitted(), "linear_svm: cannot save a model that is not fitted");
  int64_t seed_bits = 0;
  std::memcpy(&seed_bits, &options_.seed, sizeof seed_bits);
  archive.write("C", torch::tensor(options_.C, torch::kFloat64));
  archive.write("tol", torch::tensor(options_.tol, torch::kFloat64));
  archive.write("intercept_scaling", torch::tensor(options_.intercept_scaling, torch::kFloat64));
  archive.write("seed", torch::tensor(seed_bits, torch::kInt64));
  archive.write("num_classes", torch::tensor(num_classes_, torch::kInt64));
  archive.write("coef", coef_);
  archive.write("intercept", intercept_);
}

void LinearSvm::load(torch::serialize::InputArchive& archive) {
  torch::Tensor c, tol, scaling, seed, k, coef, intercept;
  archive.read("C", c);
  archive.read("tol", tol);
  archive.read("intercept_scaling", scaling);
  archive.read("seed", seed);
  archive.read("num_classes", k);
  archive.read("coef", coef);
  archive.read("intercept", intercept);
  LinearSvmOptions o;
  o.C = c.item<double>();
  o.tol = tol.item<double>();
  o.intercept_scaling = scaling.item<double>();
  const int64_t seed_bits = seed.item<int64_t>();
  std::memcpy(&o.seed, &seed_bits, sizeof seed_bits);
  o.validate();
  const int64_t nk = k.item<int64_t>();
  const int64_t rows = nk == 2 ? 1 : nk;
  if (nk < 2 || coef.dim() != 2 || coef.size(0) != rows || intercept.dim() != 1 || intercept.size(0) != rows ||
      coef.scalar_type() != torch::kFloat64 || intercept.scalar_type() != torch::kFloat64) {
    throw IoError("linear_svm: archive holds an inconsistent model");
  }
  options_ = o;
  num_classes_ = nk;
  coef_ = coef.contiguous();
  intercept_ = intercept.contiguous();
}

}  // namespace lrid

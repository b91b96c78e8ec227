// Linear SVM through liblinear (L2R_L2LOSS_SVC_DUAL, one-vs-rest). See linear_svm.h.
#include "classifiers/linear_svm.h"

#include <linear.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "classifiers/archive_io.h"
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

// A fitted model's tensor; c10::Error when the model is not fitted (the tensor is undefined).
const torch::Tensor& fitted_svm_state(const torch::Tensor& t) {
  TORCH_CHECK(t.defined(), "linear_svm: the model is not fitted");
  return t;
}

struct ModelDeleter {
  void operator()(model* m) const { free_and_destroy_model(&m); }
};

// fit's argument checks: shapes and dtypes (c10::Error), sizes and finiteness (DataError).
void check_svm_training_data(const torch::Tensor& x, const torch::Tensor& y, int64_t num_classes) {
  if (num_classes < 2) throw ConfigError(fmt::format("linear_svm: num_classes must be >= 2, got {}", num_classes));
  TORCH_CHECK(x.dim() == 2 && x.scalar_type() == torch::kFloat64 && x.device().is_cpu(),
              "linear_svm: x must be a float64 [n, d] CPU tensor, got ", x.sizes(), " ", x.scalar_type());
  TORCH_CHECK(y.dim() == 1 && y.scalar_type() == torch::kInt64 && y.device().is_cpu(),
              "linear_svm: y must be an int64 [n] CPU tensor");
  TORCH_CHECK(y.size(0) == x.size(0), "linear_svm: x has ", x.size(0), " rows but y has ", y.size(0));
  const int64_t n = x.size(0), d = x.size(1);
  if (n < 1 || d < 1) throw DataError(fmt::format("linear_svm: fit needs at least one row and one feature, got [{}, {}]", n, d));
  TORCH_CHECK(n < std::numeric_limits<int>::max() && d < std::numeric_limits<int>::max() - 1,
              "linear_svm: liblinear indexes rows and features with int");
  check_finite(x, "x");
}

// The class ids present in y [n] (contiguous), ascending; DataError for a label outside [0, num_classes).
std::vector<int64_t> present_classes(const torch::Tensor& y, int64_t num_classes) {
  const int64_t* yp = y.data_ptr<int64_t>();
  std::vector<int64_t> count(num_classes, 0);
  for (int64_t i = 0; i < y.size(0); ++i) {
    if (yp[i] < 0 || yp[i] >= num_classes) {
      throw DataError(fmt::format("linear_svm: label {} at row {} is outside [0, {})", yp[i], i, num_classes));
    }
    ++count[yp[i]];
  }
  std::vector<int64_t> present;
  for (int64_t c = 0; c < num_classes; ++c)
    if (count[c] > 0) present.push_back(c);
  return present;
}

// liblinear's sparse rows of a dense x [n, d] (contiguous): 1-based indices, zeros
// skipped, each row ending with the bias node (index d + 1, value `bias`) and the
// -1 terminator; `problem` points into the vectors.
struct LiblinearRows {
  std::vector<feature_node> nodes;
  std::vector<feature_node*> rows;
  std::vector<double> labels;
  problem prob{};
};

void fill_liblinear_rows(LiblinearRows& r, const torch::Tensor& x, const torch::Tensor& y, double bias) {
  const int64_t n = x.size(0), d = x.size(1);
  const double* xp = x.data_ptr<double>();
  const int64_t* yp = y.data_ptr<int64_t>();
  int64_t nnz = 0;
  for (int64_t i = 0; i < n * d; ++i) nnz += xp[i] != 0.0;
  r.nodes.resize(static_cast<size_t>(nnz + 2 * n));
  r.rows.resize(n);
  r.labels.resize(n);
  feature_node* node = r.nodes.data();
  for (int64_t i = 0; i < n; ++i) {
    r.rows[i] = node;
    const double* xi = xp + i * d;
    for (int64_t j = 0; j < d; ++j)
      if (xi[j] != 0.0) *node++ = {static_cast<int>(j + 1), xi[j]};
    *node++ = {static_cast<int>(d + 1), bias};
    *node++ = {-1, 0.0};
    r.labels[i] = static_cast<double>(yp[i]);
  }
  r.prob.l = static_cast<int>(n);
  r.prob.n = static_cast<int>(d + 1);  // liblinear counts the bias feature
  r.prob.y = r.labels.data();
  r.prob.x = r.rows.data();
  r.prob.bias = bias;
}

// Trains liblinear's one-vs-rest model on `prob` under the global lock (see liblinear_mutex).
std::unique_ptr<model, ModelDeleter> train_liblinear(const problem& prob, const LinearSvmOptions& o) {
  parameter param{};
  param.solver_type = L2R_L2LOSS_SVC_DUAL;
  param.eps = o.tol;
  param.C = o.C;
  param.nr_weight = 0;
  param.p = 0.1;  // unused by classification solvers; liblinear's default
  if (const char* err = check_parameter(&prob, &param))
    throw ConfigError(fmt::format("linear_svm: liblinear rejected the parameters: {}", err));
  std::unique_ptr<model, ModelDeleter> m;
  std::lock_guard<std::mutex> lock(liblinear_mutex());
  set_print_string_function(&silent_print);
  std::srand(static_cast<unsigned>(o.seed ^ (o.seed >> 32)));
  m.reset(train(&prob, &param));
  return m;
}

// Copies liblinear's hyperplanes into coef [k, d] and intercept [k] (rows of the
// classes it saw). liblinear numbers classes by first appearance; label[i] is our
// class id. For two classes get_decfun_* already returns the negated hyperplane for label[1].
void copy_hyperplanes(const model& m, torch::Tensor& coef, torch::Tensor& intercept) {
  auto ca = coef.accessor<double, 2>();
  auto ia = intercept.accessor<double, 1>();
  for (int li = 0; li < m.nr_class; ++li) {
    const int64_t c = m.label[li];
    for (int64_t j = 0; j < coef.size(1); ++j) ca[c][j] = get_decfun_coef(&m, static_cast<int>(j + 1), li);
    ia[c] = get_decfun_bias(&m, li);
  }
}

}  // namespace

void LinearSvmOptions::validate() const {
  check_positive(C, "C");
  check_positive(tol, "tol");
  check_positive(intercept_scaling, "intercept_scaling");
}

LinearSvm::LinearSvm(LinearSvmOptions o) : options_(o) { options_.validate(); }

void LinearSvm::fit(const torch::Tensor& x_in, const torch::Tensor& y_in, int64_t num_classes) {
  options_.validate();
  check_svm_training_data(x_in, y_in, num_classes);
  const torch::Tensor x = x_in.contiguous(), y = y_in.contiguous();
  const int64_t d = x.size(1);
  const std::vector<int64_t> present = present_classes(y, num_classes);
  // Full model [k, d]: absent classes get coef 0 and intercept -inf.
  const double neg_inf = -std::numeric_limits<double>::infinity();
  torch::Tensor coef = torch::zeros({num_classes, d}, torch::kFloat64);
  torch::Tensor intercept = torch::full({num_classes}, neg_inf, torch::kFloat64);
  if (present.size() == 1) {
    intercept[present[0]] = 0.0;  // constant model: nothing to separate
  } else {
    LiblinearRows rows;
    fill_liblinear_rows(rows, x, y, options_.intercept_scaling);
    const auto m = train_liblinear(rows.prob, options_);
    TORCH_CHECK(m && m->nr_class == static_cast<int>(present.size()), "linear_svm: liblinear returned an unexpected model");
    copy_hyperplanes(*m, coef, intercept);
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

torch::Tensor LinearSvm::coef() const { return fitted_svm_state(coef_); }

torch::Tensor LinearSvm::intercept() const { return fitted_svm_state(intercept_); }

void LinearSvm::save(torch::serialize::OutputArchive& archive) const {
  TORCH_CHECK(fitted(), "linear_svm: cannot save a model that is not fitted");
  write_tensors(archive, {{"C", torch::tensor(options_.C, torch::kFloat64)},
                          {"tol", torch::tensor(options_.tol, torch::kFloat64)},
                          {"intercept_scaling", torch::tensor(options_.intercept_scaling, torch::kFloat64)},
                          {"seed", torch::tensor(seed_to_bits(options_.seed), torch::kInt64)},
                          {"num_classes", torch::tensor(num_classes_, torch::kInt64)},
                          {"coef", coef_},
                          {"intercept", intercept_}});
}

void LinearSvm::load(torch::serialize::InputArchive& archive) {
  LinearSvmOptions o;
  o.C = read_tensor(archive, "C").item<double>();
  o.tol = read_tensor(archive, "tol").item<double>();
  o.intercept_scaling = read_tensor(archive, "intercept_scaling").item<double>();
  o.seed = seed_from_bits(read_tensor(archive, "seed").item<int64_t>());
  const int64_t nk = read_tensor(archive, "num_classes").item<int64_t>();
  const torch::Tensor coef = read_tensor(archive, "coef"), intercept = read_tensor(archive, "intercept");
  o.validate();
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

// Classifier adapters. See trajectory_model.h.
#include "classifiers/trajectory_model.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <type_traits>

#include "classifiers/conv1d_mlp.h"
#include "classifiers/features.h"
#include "classifiers/linear_svm.h"
#include "classifiers/pca.h"
#include "classifiers/random_forest.h"
#include "classifiers/registry.h"
#include "core/errors.h"

namespace lrid {
namespace {

// The value of `key` in the configuration as an integer (T = int64_t) or a real
// (T = double); ConfigError "key=value: expected an integer / a number" otherwise.
template <class T>
T config_number(const GridConfig& c, const std::string& key) {
  const std::string v = config_value(c, key);
  try {
    if constexpr (std::is_integral_v<T>) {
      return std::stoll(v);
    } else {
      return std::stod(v);
    }
  } catch (const std::exception&) {
    throw ConfigError(fmt::format("{}={}: expected {}", key, v, std::is_integral_v<T> ? "an integer" : "a number"));
  }
}
int64_t int_of(const GridConfig& c, const std::string& key) { return config_number<int64_t>(c, key); }
double real_of(const GridConfig& c, const std::string& key) { return config_number<double>(c, key); }

class ForestModel : public TrajectoryModel {
 public:
  ForestModel(const GridConfig& c, uint64_t seed, int64_t n_jobs) {
    RandomForestOptions o;
    o.n_estimators = int_of(c, "n_estimators");
    o.max_features = config_value(c, "max_features", "sqrt");
    o.seed = seed;
    o.n_jobs = n_jobs;
    o.validate();
    forest_ = RandomForest(o);
  }
  void fit(const torch::Tensor& x, const torch::Tensor& oh, const torch::Tensor& y, int64_t k) override {
    forest_.fit(torch::cat({oh, x}, 1), y, k);
  }
  torch::Tensor scores(const torch::Tensor& x, const torch::Tensor& oh) const override {
    return forest_.predict_proba(torch::cat({oh, x}, 1));
  }
  torch::Tensor tree_importances() const override { return forest_.tree_importances(); }
  void save(torch::serialize::OutputArchive& a) const override { forest_.save(a); }
  void load(torch::serialize::InputArchive& a) override { forest_.load(a); }

 private:
  RandomForest forest_;
};

class SvmModel : public TrajectoryModel {
 public:
  SvmModel(const GridConfig& c, uint64_t seed) {
    LinearSvmOptions o;
    o.C = real_of(c, "C");
    o.seed = seed;
    o.validate();
    svm_ = LinearSvm(o);
    const std::string p = config_value(c, "pca", "none");
    if (p != "none") components_ = int_of(c, "pca");
  }
  void fit(const torch::Tensor& x, const torch::Tensor& oh, const torch::Tensor& y, int64_t k) override {
    torch::Tensor z = x;
    if (components_ > 0) {
      if (components_ > std::min(x.size(0), x.size(1)))
        throw ConfigError(fmt::format("pca={}: more components than min(rows {}, features {})", components_,
                                      x.size(0), x.size(1)));
      pca_ = std::make_unique<Pca>(components_);
      pca_->fit(x);
      z = pca_->transform(x);
    }
    svm_.fit(torch::cat({oh, z}, 1), y, k);
  }
  torch::Tensor scores(const torch::Tensor& x, const torch::Tensor& oh) const override {
    torch::Tensor z = pca_ ? pca_->transform(x) : x;
    return svm_.decision_function(torch::cat({oh, z}, 1));
  }
  void save(torch::serialize::OutputArchive& a) const override {
    torch::serialize::OutputArchive s, p;
    svm_.save(s);
    a.write("svm", s);
    a.write("pca_components", torch::tensor(components_));
    if (pca_) {
      pca_->save(p);
      a.write("pca", p);
    }
  }
  void load(torch::serialize::InputArchive& a) override {
    torch::serialize::InputArchive s;
    a.read("svm", s);
    svm_.load(s);
    torch::Tensor n;
    a.read("pca_components", n);
    components_ = n.item<int64_t>();
    if (components_ > 0) {
      torch::serialize::InputArchive p;
      a.read("pca", p);
      pca_ = std::make_unique<Pca>(components_);
      pca_->load(p);
    }
  }

 private:
  LinearSvm svm_;
  int64_t components_ = 0;
  std::unique_ptr<Pca> pca_;
};

class Conv1dModel : public TrajectoryModel {
 public:
  Conv1dModel(const GridConfig& c, int64_t t, uint64_t seed) : t_(t) {
    Conv1dMlpOptions o;
    o.lr = real_of(c, "lr");
    o.kernel = int_of(c, "kernel");
    o.stride = int_of(c, "stride");
    o.filters = int_of(c, "filters");
    // "rows": the whole training set per batch (the spec's fallback when no batch size fits).
    rows_batch_ = config_value(c, "batch_size") == "rows";
    o.batch_size = rows_batch_ ? 1 : int_of(c, "batch_size");
    o.pooling = config_value(c, "pooling", "none");
    o.weight_decay = real_of(c, "weight_decay");
    o.epochs = int_of(c, "epochs");
    o.seed = seed;
    o.validate(t);
    options_ = o;
    net_ = Conv1dMlp(o);
  }
  void fit(const torch::Tensor& x, const torch::Tensor& oh, const torch::Tensor& y, int64_t k) override {
    if (rows_batch_) {
      Conv1dMlpOptions o = options_;
      o.batch_size = x.size(0);
      net_ = Conv1dMlp(o);
    }
    net_.fit(sequence_layout(x, oh, t_), y, k);
  }
  torch::Tensor scores(const torch::Tensor& x, const torch::Tensor& oh) const override {
    return net_.predict_proba(sequence_layout(x, oh, t_));
  }
  void save(torch::serialize::OutputArchive& a) const override { net_.save(a); }
  void load(torch::serialize::InputArchive& a) override { net_.load(a); }

 private:
  int64_t t_;
  bool rows_batch_ = false;
  Conv1dMlpOptions options_;
  Conv1dMlp net_;
};

}  // namespace

std::unique_ptr<TrajectoryModel> make_trajectory_model(const std::string& classifier, const GridConfig& config,
                                                       int64_t time_points, uint64_t seed, int64_t n_jobs) {
  return classifier_spec(classifier).make(config, time_points, seed, n_jobs);
}

std::unique_ptr<TrajectoryModel> forest_model(const GridConfig& config, uint64_t seed, int64_t n_jobs) {
  return std::make_unique<ForestModel>(config, seed, n_jobs);
}

std::unique_ptr<TrajectoryModel> svm_model(const GridConfig& config, uint64_t seed) {
  return std::make_unique<SvmModel>(config, seed);
}

std::unique_ptr<TrajectoryModel> conv1d_model(const GridConfig& config, int64_t time_points, uint64_t seed) {
  return std::make_unique<Conv1dModel>(config, time_points, seed);
}

}  // namespace lrid

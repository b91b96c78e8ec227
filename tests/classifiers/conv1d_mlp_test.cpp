// Conv1D MLP classifier (science.md §6.6): shapes for every pooling, Glorot
// init, the regularised loss against a hand (loop) computation, one Adam step
// against PyTorch golden values (tests/golden/make_conv1d_golden.py), learning
// a separable synthetic trajectory task, determinism, validation, save/load.
#include "classifiers/conv1d_mlp.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <tuple>
#include <vector>

#include "classifiers/archive_round_trip.h"
#include "classifiers/golden_json.h"
#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

Conv1dMlpOptions opts(int64_t filters, int64_t kernel, int64_t stride, const std::string& pooling) {
  Conv1dMlpOptions o;
  o.filters = filters;
  o.kernel = kernel;
  o.stride = stride;
  o.pooling = pooling;
  return o;
}

// A flat golden list as a float32 tensor of `shape`.
torch::Tensor vec(const Json& n, std::vector<int64_t> shape) {
  return test::golden_tensor(n).reshape(shape).to(torch::kFloat32);
}

std::vector<int64_t> shape_of(const Json& n) { return n.get<std::vector<int64_t>>(); }

// Three classes that differ only by a temporal pattern of observable 0 (rising
// ramp, falling ramp, central bump; all of mean 0 over time), plus a noise
// observable and an uninformative random layer-position one-hot. x [n, 21, 5].
std::tuple<torch::Tensor, torch::Tensor> synthetic(int64_t per_class, uint64_t seed) {
  const int64_t T = 21, C = 5, K = 3, n = per_class * K;
  torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::Tensor t = torch::linspace(-1.0, 1.0, T);
  torch::Tensor bump = torch::exp(-8.0 * t * t);
  std::vector<torch::Tensor> patterns{t, -t, bump - bump.mean()};
  torch::Tensor y = torch::arange(K).repeat_interleave(per_class);
  torch::Tensor x = torch::zeros({n, T, C});
  for (int64_t c = 0; c < K; ++c) x.narrow(0, c * per_class, per_class).select(2, 3).copy_(patterns[c].expand({per_class, T}));
  x.narrow(2, 3, 2).add_(torch::randn({n, T, 2}, gen, torch::TensorOptions(torch::kFloat32)).mul_(0.4));
  torch::Tensor pos = torch::randint(0, 3, {n}, gen, torch::TensorOptions(torch::kInt64));
  x.narrow(2, 0, 3).copy_(torch::one_hot(pos, 3).to(torch::kFloat32).unsqueeze(1).expand({n, T, 3}));
  return {x, y};
}

TEST(Conv1dMlpShape, OutputLengthAndShapesForEveryPooling) {
  const int64_t B = 5, T = 21, C = 6, F = 4, K = 3;
  torch::Tensor x = torch::randn({B, T, C});
  for (const char* pooling : {"none", "max", "avg"}) {
    for (auto [k, s] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {2, 1}, {6, 4}, {11, 2}, {5, 3}, {21, 1}, {21, 3}}) {
      const int64_t L = (T - k) / s + 1;
      Conv1dMlpOptions o = opts(F, k, s, pooling);
      EXPECT_EQ(o.output_length(T), L);
      Conv1dMlpNet net(o, T, C, K);
      EXPECT_EQ(net->output_length(), L) << pooling << " k=" << k << " s=" << s;
      const int64_t D = std::string(pooling) == "none" ? L * F : F;
      EXPECT_EQ(net->feature_dim(), D);
      EXPECT_EQ(net->features(x).sizes(), (std::vector<int64_t>{B, D}));
      EXPECT_EQ(net->forward(x).sizes(), (std::vector<int64_t>{B, K}));
      EXPECT_EQ(net->conv->weight.sizes(), (std::vector<int64_t>{F, C, k}));
      EXPECT_EQ(net->fc->weight.sizes(), (std::vector<int64_t>{K, D}));
    }
  }
  // T = 21, k = 21 is a single output; hand values of L.
  EXPECT_EQ(opts(4, 6, 4, "none").output_length(21), 4);
  EXPECT_EQ(opts(4, 11, 2, "none").output_length(21), 6);
  EXPECT_EQ(opts(4, 2, 2, "none").output_length(21), 10);
}

TEST(Conv1dMlpInit, GlorotUniformBoundsAndZeroBiases) {
  const int64_t T = 21, C = 48, F = 40, K = 4;
  for (auto [k, pooling] : std::vector<std::pair<int64_t, std::string>>{{6, "none"}, {2, "max"}, {11, "avg"}}) {
    Conv1dMlpOptions o = opts(F, k, 1, pooling);
    o.seed = 7;
    Conv1dMlp clf(o);
    clf.initialize(T, C, K);
    const auto& net = clf.net();
    const int64_t D = net->feature_dim();
    const double conv_bound = std::sqrt(6.0 / static_cast<double>(k * C + k * F));
    const double fc_bound = std::sqrt(6.0 / static_cast<double>(D + K));
    const double conv_max = net->conv->weight.abs().max().item<double>();
    const double fc_max = net->fc->weight.abs().max().item<double>();
    EXPECT_LE(conv_max, conv_bound);
    EXPECT_GT(conv_max, 0.95 * conv_bound);  // thousands of draws reach the edge
    EXPECT_LE(fc_max, fc_bound);
    EXPECT_GT(fc_max, 0.8 * fc_bound);
    // Uniform(-b, b) has variance b^2 / 3.
    EXPECT_NEAR(net->conv->weight.var().item<double>(), conv_bound * conv_bound / 3.0, 0.1 * conv_bound * conv_bound / 3.0);
    EXPECT_EQ(net->conv->bias.abs().max().item<double>(), 0.0);
    EXPECT_EQ(net->fc->bias.abs().max().item<double>(), 0.0);
  }
}

// Logits by explicit loops (double): conv 'valid' with stride, ReLU, pooling,
// time-major flatten, linear.
torch::Tensor loop_logits(const torch::Tensor& x_, const Conv1dMlpNet& net, int64_t stride, const std::string& pooling) {
  torch::Tensor X = x_.to(torch::kFloat64);
  auto x = X.accessor<double, 3>();
  torch::Tensor W = net->conv->weight.detach().to(torch::kFloat64), b = net->conv->bias.detach().to(torch::kFloat64);
  torch::Tensor V = net->fc->weight.detach().to(torch::kFloat64), c = net->fc->bias.detach().to(torch::kFloat64);
  auto w = W.accessor<double, 3>();
  auto v = V.accessor<double, 2>();
  const int64_t B = x_.size(0), T = x_.size(1), C = x_.size(2), F = W.size(0), k = W.size(2), K = V.size(0);
  const int64_t L = (T - k) / stride + 1;
  torch::Tensor out = torch::zeros({B, K}, torch::kFloat64);
  for (int64_t n = 0; n < B; ++n) {
    std::vector<double> h(L * F);  // [L, F]
    for (int64_t l = 0; l < L; ++l)
      for (int64_t f = 0; f < F; ++f) {
        double z = b[f].item<double>();
        for (int64_t j = 0; j < k; ++j)
          for (int64_t ch = 0; ch < C; ++ch) z += w[f][ch][j] * x[n][l * stride + j][ch];
        h[l * F + f] = std::max(z, 0.0);
      }
    std::vector<double> feat;
    if (pooling == "none") {
      feat = h;
    } else {
      for (int64_t f = 0; f < F; ++f) {
        double acc = pooling == "max" ? -1e300 : 0.0;
        for (int64_t l = 0; l < L; ++l) acc = pooling == "max" ? std::max(acc, h[l * F + f]) : acc + h[l * F + f] / L;
        feat.push_back(acc);
      }
    }
    for (int64_t kk = 0; kk < K; ++kk) {
      double z = c[kk].item<double>();
      for (std::size_t d = 0; d < feat.size(); ++d) z += v[kk][d] * feat[d];
      out[n][kk] = z;
    }
  }
  return out;
}

TEST(Conv1dMlpLoss, EqualsCrossEntropyPlusHalfWdSumOfSquares) {
  const int64_t B = 8, T = 9, C = 4, K = 3;
  torch::manual_seed(3);
  torch::Tensor x = torch::randn({B, T, C});
  torch::Tensor y = torch::tensor({0, 1, 2, 2, 1, 0, 1, 2}, torch::kInt64);
  for (const char* pooling : {"none", "max", "avg"}) {
    Conv1dMlpOptions o = opts(5, 3, 2, pooling);
    o.weight_decay = 0.3;
    Conv1dMlp clf(o);
    clf.initialize(T, C, K);
    auto& net = clf.net();
    {
      torch::NoGradGuard g;  // non-zero biases so their penalty counts
      net->conv->bias.uniform_(-0.5, 0.5);
      net->fc->bias.uniform_(-0.5, 0.5);
    }
    torch::Tensor logits = loop_logits(x, net, 2, pooling);
    EXPECT_TRUE(torch::allclose(net->forward(x).to(torch::kFloat64), logits, 1e-5, 1e-5)) << pooling;
    auto lg = logits.accessor<double, 2>();
    double ce = 0.0;
    for (int64_t n = 0; n < B; ++n) {
      double mx = -1e300, s = 0.0;
      for (int64_t kk = 0; kk < K; ++kk) mx = std::max(mx, lg[n][kk]);
      for (int64_t kk = 0; kk < K; ++kk) s += std::exp(lg[n][kk] - mx);
      ce += (mx + std::log(s) - lg[n][y[n].item<int64_t>()]) / B;
    }
    double sq = 0.0;
    for (const auto& p : net->parameters()) sq += p.to(torch::kFloat64).square().sum().item<double>();
    EXPECT_EQ(net->parameters().size(), 4u);
    const double want = ce + 0.3 * 0.5 * sq;
    EXPECT_NEAR(clf.loss(x, y).item<double>(), want, 1e-5 * std::abs(want)) << pooling;
    EXPECT_NEAR(net->penalty(0.3).item<double>(), 0.15 * sq, 1e-5 * sq);
  }
}

TEST(Conv1dMlpGolden, OneAdamStepMatchesPyTorch) {
  const Json g = test::golden_file("conv1d_step.json");
  const int64_t B = g["B"].get<int64_t>(), T = g["T"].get<int64_t>(), C = g["C"].get<int64_t>();
  const int64_t K = g["num_classes"].get<int64_t>();
  const std::vector<std::string> names{"conv_weight", "conv_bias", "fc_weight", "fc_bias"};
  ASSERT_EQ(g["cases"].size(), 3u);
  for (const auto& c : g["cases"]) {
    const std::string name = c["name"].get<std::string>();
    Conv1dMlpOptions o = opts(g["filters"].get<int64_t>(), c["kernel"].get<int64_t>(), c["stride"].get<int64_t>(),
                              c["pooling"].get<std::string>());
    o.lr = g["lr"].get<double>();
    o.weight_decay = g["weight_decay"].get<double>();
    Conv1dMlp clf(o);
    clf.initialize(T, C, K);
    auto& net = clf.net();
    std::vector<torch::Tensor> params{net->conv->weight, net->conv->bias, net->fc->weight, net->fc->bias};
    {
      torch::NoGradGuard ng;
      for (std::size_t i = 0; i < 4; ++i) params[i].copy_(vec(c["init"][names[i]], shape_of(c["shapes"][names[i]])));
    }
    torch::Tensor x = vec(c["x"], {B, T, C});
    torch::Tensor y = test::golden_tensor(c["y"], torch::kInt64);
    EXPECT_TRUE(torch::allclose(net->forward(x), vec(c["logits"], {B, K}), 1e-6, 1e-6)) << name;
    const double loss = clf.train_step(x, y);
    EXPECT_NEAR(loss, c["loss"].get<double>(), 1e-6) << name;
    for (std::size_t i = 0; i < 4; ++i) {
      const auto shape = shape_of(c["shapes"][names[i]]);
      EXPECT_TRUE(torch::allclose(params[i].grad(), vec(c["grad"][names[i]], shape), 1e-5, 1e-6))
          << name << " grad " << names[i];
      torch::Tensor want = vec(c["after"][names[i]], shape);
      EXPECT_LT((params[i].detach() - want).abs().max().item<double>(), 1e-6) << name << " " << names[i];
      // The step really moved the parameters (lr = 0.01 per entry on step one).
      EXPECT_GT((want - vec(c["init"][names[i]], shape)).abs().max().item<double>(), 5e-3);
    }
  }
}

TEST(Conv1dMlpTrain, LearnsSeparableTrajectoryTask) {
  auto [xtr, ytr] = synthetic(200, 11);
  auto [xte, yte] = synthetic(100, 12);
  for (auto [k, s, pooling] : std::vector<std::tuple<int64_t, int64_t, std::string>>{
           {1, 1, "none"}, {6, 1, "max"}, {6, 2, "avg"}}) {
    Conv1dMlpOptions o = opts(8, k, s, pooling);
    o.lr = 1e-2;
    o.batch_size = 32;
    o.epochs = 10;
    o.weight_decay = 1e-4;
    o.seed = 5;
    Conv1dMlp clf(o);
    clf.fit(xtr, ytr, 3);
    ASSERT_EQ(clf.epoch_losses().size(), 10u);
    EXPECT_LT(clf.epoch_losses().back(), clf.epoch_losses().front()) << pooling;
    torch::Tensor p = clf.predict_proba(xte);
    EXPECT_EQ(p.scalar_type(), torch::kFloat64);
    EXPECT_EQ(p.sizes(), (std::vector<int64_t>{300, 3}));
    EXPECT_TRUE(torch::allclose(p.sum(1), torch::ones({300}, torch::kFloat64), 1e-12, 1e-12));
    torch::Tensor pred = clf.predict(xte);
    EXPECT_EQ(pred.scalar_type(), torch::kInt64);
    const double acc = pred.eq(yte).to(torch::kFloat64).mean().item<double>();
    EXPECT_GT(acc, 0.9) << pooling << " k=" << k << " s=" << s;
    RecordProperty("test_accuracy_" + pooling, std::to_string(acc));
  }
}

TEST(Conv1dMlpTrain, DeterministicForASeed) {
  auto [x, y] = synthetic(40, 21);
  Conv1dMlpOptions o = opts(6, 3, 2, "max");
  o.batch_size = 16;
  o.epochs = 3;
  o.seed = 99;
  Conv1dMlp a(o), b(o);
  a.fit(x, y, 3);
  b.fit(x, y, 3);
  EXPECT_TRUE(torch::equal(a.predict_proba(x), b.predict_proba(x)));
  EXPECT_TRUE(torch::equal(a.predict(x), b.predict(x)));
  EXPECT_TRUE(torch::equal(a.net()->conv->weight, b.net()->conv->weight));
  // Refitting the same object reproduces the first fit.
  torch::Tensor first = a.predict_proba(x);
  a.fit(x, y, 3);
  EXPECT_TRUE(torch::equal(a.predict_proba(x), first));
  o.seed = 100;
  Conv1dMlp c(o);
  c.fit(x, y, 3);
  EXPECT_FALSE(torch::equal(a.net()->conv->weight, c.net()->conv->weight));
  EXPECT_FALSE(torch::equal(a.net()->fc->weight, c.net()->fc->weight));
  // Different seeds also give different initial weights (not only shuffles).
  Conv1dMlp i1(o), i2(o);
  i1.initialize(21, 5, 3);
  i2.initialize(21, 5, 3);
  o.seed = 101;
  Conv1dMlp i3(o);
  i3.initialize(21, 5, 3);
  EXPECT_TRUE(torch::equal(i1.net()->conv->weight, i2.net()->conv->weight));
  EXPECT_FALSE(torch::equal(i1.net()->conv->weight, i3.net()->conv->weight));
}

TEST(Conv1dMlpValidate, RejectsBadOptionsAndData) {
  torch::Tensor x, y;  // n = 30, T = 21 (not a structured binding: the lambda captures them)
  std::tie(x, y) = synthetic(10, 1);
  Conv1dMlpOptions ok = opts(4, 2, 1, "avg");
  ok.batch_size = 30;
  ok.epochs = 1;
  EXPECT_NO_THROW(Conv1dMlp(ok).fit(x, y, 3));  // batch == n is fine
  auto bad = [&](auto mutate) {
    Conv1dMlpOptions o = ok;
    mutate(o);
    Conv1dMlp clf(o);
    EXPECT_THROW(clf.fit(x, y, 3), ConfigError);
    EXPECT_FALSE(clf.fitted());
  };
  bad([](Conv1dMlpOptions& o) { o.batch_size = 31; });  // larger than the training rows
  bad([](Conv1dMlpOptions& o) { o.batch_size = 512; });
  bad([](Conv1dMlpOptions& o) { o.batch_size = 0; });
  bad([](Conv1dMlpOptions& o) { o.kernel = 22; });
  bad([](Conv1dMlpOptions& o) { o.kernel = 0; });
  bad([](Conv1dMlpOptions& o) { o.stride = 0; });
  bad([](Conv1dMlpOptions& o) { o.filters = 0; });
  bad([](Conv1dMlpOptions& o) { o.pooling = "sum"; });
  bad([](Conv1dMlpOptions& o) { o.lr = 0.0; });
  bad([](Conv1dMlpOptions& o) { o.lr = std::nan(""); });
  bad([](Conv1dMlpOptions& o) { o.weight_decay = -1e-4; });
  bad([](Conv1dMlpOptions& o) { o.epochs = -1; });
  EXPECT_THROW(Conv1dMlp(ok).fit(x, y, 1), ConfigError);
  EXPECT_THROW(ok.validate(0), ConfigError);
  // validate() checks every option but the kernel against T; validate(T) adds that.
  Conv1dMlpOptions long_kernel = opts(1, 22, 1, "none");
  long_kernel.validate();
  test::expect_error<ConfigError>([&] { long_kernel.validate(21); }, "kernel 22 exceeds the 21 time points");
  Conv1dMlpOptions bad_stride = opts(1, 2, 0, "none");
  test::expect_error<ConfigError>([&] { bad_stride.validate(); }, "stride must be >= 1");
  bad_stride.stride = 1;
  bad_stride.pooling = "sum";
  test::expect_error<ConfigError>([&] { bad_stride.validate(); }, "pooling");
  EXPECT_NO_THROW(opts(1, 21, 5, "none").validate(21));
  Conv1dMlpOptions big_batch = ok;
  big_batch.batch_size = 1024;
  test::expect_error<ConfigError>([&] { Conv1dMlp(big_batch).fit(x, y, 3); },
                                  "batch_size 1024 exceeds the 30 training rows");
  torch::Tensor xn = x.clone();
  xn[3][4][2] = std::nanf("");
  EXPECT_THROW(Conv1dMlp(ok).fit(xn, y, 3), DataError);
  EXPECT_THROW(Conv1dMlp(ok).fit(x, y, 2), DataError);  // label 2 out of range
  Conv1dMlp fitted(ok);
  fitted.fit(x, y, 3);
  EXPECT_THROW(fitted.predict(xn), DataError);
  EXPECT_THROW(fitted.predict(x.narrow(1, 0, 20)), c10::Error);  // wrong T
  EXPECT_THROW(fitted.predict(x.to(torch::kFloat64)), c10::Error);
  EXPECT_THROW(Conv1dMlp(ok).predict(x), c10::Error);  // not fitted
}

TEST(Conv1dMlpSerialize, SaveLoadRoundTrip) {
  auto [x, y] = synthetic(30, 31);
  Conv1dMlpOptions o = opts(7, 6, 4, "none");
  o.batch_size = 20;
  o.epochs = 2;
  o.weight_decay = 1e-4;
  o.seed = 0xfedcba9876543210ULL;  // above INT64_MAX: stored bit-exactly
  Conv1dMlp clf(o);
  clf.fit(x, y, 3);
  Conv1dMlp back;
  test::save_and_load(clf, back);
  ASSERT_TRUE(back.fitted());
  EXPECT_TRUE(torch::equal(back.predict_proba(x), clf.predict_proba(x)));
  const auto& b = back.options();
  EXPECT_EQ(b.filters, 7);
  EXPECT_EQ(b.kernel, 6);
  EXPECT_EQ(b.stride, 4);
  EXPECT_EQ(b.pooling, "none");
  EXPECT_EQ(b.batch_size, 20);
  EXPECT_EQ(b.epochs, 2);
  EXPECT_EQ(b.weight_decay, 1e-4);
  EXPECT_EQ(b.lr, 1e-3);
  EXPECT_EQ(b.seed, 0xfedcba9876543210ULL);
  EXPECT_EQ(back.net()->time_points(), 21);
  EXPECT_EQ(back.net()->channels(), 5);
  EXPECT_EQ(back.net()->num_classes(), 3);
}

}  // namespace
}  // namespace lrid

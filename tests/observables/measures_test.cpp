// The three measures (science.md §3.4-§3.6, §4): gradavg against autograd's
// full Jacobian and the closed forms of linear layers, the feedback path on FA
// and IA layers, and how each measure applies unit subsampling and noise.
#include "observables/measures.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/params.h"
#include "models/layers.h"
#include "rules/rule.h"

namespace lrid {
namespace {

LayerRule rule_of(const std::string& name) {
  return layer_rule(name, parse_params(rule_registry().schema(name), YAML::Node(), ConfigSource{"t", {}}, "rule"));
}

// The layer's full Jacobian d y / d x_in per sample, by autograd: [B, n_out, n_in].
torch::Tensor full_jacobian(RecordableLayerImpl& layer, const std::function<torch::Tensor(torch::Tensor)>& fwd,
                            const torch::Tensor& x) {
  std::vector<torch::Tensor> per_sample;
  for (int64_t b = 0; b < x.size(0); ++b) {
    torch::Tensor xb = x.slice(0, b, b + 1).clone().requires_grad_(true);
    layer.set_capture(true);
    fwd(xb);
    torch::Tensor x_in = layer.last_input(), y = layer.last_output().reshape({-1});
    layer.set_capture(false);
    std::vector<torch::Tensor> rows;
    for (int64_t i = 0; i < y.size(0); ++i)
      rows.push_back(torch::autograd::grad({y[i]}, {x_in}, {}, /*retain_graph=*/true, false, true)[0].reshape({-1}));
    per_sample.push_back(torch::stack(rows));
  }
  return torch::stack(per_sample).to(torch::kFloat64);
}

// gradavg of a layer on x, via the recorder's path.
torch::Tensor recorded_gradavg(RecordableLayerImpl& layer, const std::function<torch::Tensor(torch::Tensor)>& fwd,
                               const torch::Tensor& x, GradavgPath path, UnitSampler& sampler) {
  torch::NoGradGuard ng;
  layer.set_capture(true);
  fwd(x);
  torch::Tensor x_in = layer.last_input(), y = layer.last_output();
  layer.set_capture(false);
  torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
  return layer_gradavg(layer, x_in, y, path, sampler, gen);
}

struct MeasureCase {
  std::string label;
  std::function<std::pair<std::shared_ptr<RecordableLayerImpl>, std::function<torch::Tensor(torch::Tensor)>>(LayerFactory&)> make;
  std::vector<int64_t> input;
};

std::vector<MeasureCase> cases() {
  return {
      {"conv_explicit_pad_stride2_linear",
       [](LayerFactory& f) {
         ConvLayer c = f.conv("c", ConvLayerOptions(2, 3, 3).stride(2).explicit_padding({0, 1, 0, 1}));
         return std::make_pair(c.ptr(), std::function<torch::Tensor(torch::Tensor)>([c](torch::Tensor x) mutable { return c->forward(x); }));
       },
       {3, 2, 6, 6}},
      {"conv_same_relu_bias",
       [](LayerFactory& f) {
         ConvLayer c = f.conv("c", ConvLayerOptions(2, 4, 3).padding(1).bias(true).bias_init(0.1)
                                       .activation(Activation::kRelu));
         return std::make_pair(c.ptr(), std::function<torch::Tensor(torch::Tensor)>([c](torch::Tensor x) mutable { return c->forward(x); }));
       },
       {3, 2, 5, 5}},
      {"dense_relu",
       [](LayerFactory& f) {
         DenseLayer d = f.dense("d", DenseLayerOptions(12, 7).activation(Activation::kRelu));
         return std::make_pair(d.ptr(), std::function<torch::Tensor(torch::Tensor)>([d](torch::Tensor x) mutable { return d->forward(x); }));
       },
       {4, 12}},
  };
}

TEST(Gradavg, EqualsAutogradFullJacobian) {
  torch::manual_seed(0);
  for (const auto& c : cases()) {
    LayerFactory f(5);
    auto [layer, fwd] = c.make(f);
    torch::Tensor x = torch::randn(c.input);
    torch::Tensor j = full_jacobian(*layer, fwd, x);  // [B, n_out, n_in]
    torch::Tensor want = j.sum({1, 2}) / static_cast<double>(j.size(1));
    UnitSampler all{MeasurementCondition{}};
    torch::Tensor got = recorded_gradavg(*layer, fwd, x, GradavgPath::kForward, all);
    EXPECT_TRUE(torch::allclose(got, want, 1e-5, 1e-6)) << c.label << "\n" << got << "\n" << want;
    // Subsampled pre- and post-synaptic units: against the explicit Jacobian path.
    MeasurementCondition sub;
    sub.frac = 0.4;
    sub.seed = 9;
    UnitSampler s1(sub), s2(sub);
    torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(1);
    torch::Tensor want_sub = jacobian_gradavg(j, s2, g);
    torch::Tensor got_sub = recorded_gradavg(*layer, fwd, x, GradavgPath::kForward, s1);
    EXPECT_TRUE(torch::allclose(got_sub, want_sub, 1e-5, 1e-6)) << c.label << "\n" << got_sub << "\n" << want_sub;
    EXPECT_FALSE(torch::allclose(got_sub, got, 1e-3, 1e-4)) << c.label;
  }
}

TEST(Gradavg, ClosedFormsOfLinearLayers) {
  LayerFactory f(2);
  // dense without activation: sum(W) / n_out, whatever the input.
  DenseLayer d = f.dense("fc", DenseLayerOptions(9, 4).bias(true).bias_init(0.5));
  UnitSampler all{MeasurementCondition{}};
  torch::Tensor v = recorded_gradavg(*d, [&](torch::Tensor x) { return d->forward(x); }, torch::randn({5, 9}) * 3,
                                     GradavgPath::kForward, all);
  const double dense_want = d->weight().sum().item<double>() / 4.0;
  for (int64_t b = 0; b < 5; ++b) EXPECT_NEAR(v[b].item<double>(), dense_want, 1e-6);
  // conv whose input includes the whole padding border (VALID): sum(W) / C_out.
  ConvLayer c = f.conv("conv", ConvLayerOptions(3, 5, 3).stride(2).explicit_padding({1, 1, 1, 1}));
  v = recorded_gradavg(*c, [&](torch::Tensor x) { return c->forward(x); }, torch::randn({2, 3, 7, 7}),
                       GradavgPath::kForward, all);
  const double conv_want = c->weight().sum().item<double>() / 5.0;
  for (int64_t b = 0; b < 2; ++b) EXPECT_NEAR(v[b].item<double>(), conv_want, 1e-5);
  // implicit SAME padding: border outputs see part of the kernel, so the value differs.
  ConvLayer s = f.conv("same", ConvLayerOptions(3, 5, 3).padding(1));
  v = recorded_gradavg(*s, [&](torch::Tensor x) { return s->forward(x); }, torch::randn({1, 3, 4, 4}),
                       GradavgPath::kForward, all);
  EXPECT_GT(std::fabs(v[0].item<double>() - s->weight().sum().item<double>() / 5.0), 1e-4);
}

TEST(Gradavg, FeedbackPathUsesBOnFaAndIaLayers) {
  for (const std::string rule : {"fa", "ia"}) {
    LayerFactory f(4, rule_of(rule));
    DenseLayer d = f.dense("fc", DenseLayerOptions(10, 6));
    ASSERT_TRUE(d->feedback().defined());
    UnitSampler all{MeasurementCondition{}};
    auto fwd = [&](torch::Tensor x) { return d->forward(x); };
    torch::Tensor x = torch::randn({3, 10});
    const double via_b = recorded_gradavg(*d, fwd, x, GradavgPath::kFeedback, all)[0].item<double>();
    const double via_w = recorded_gradavg(*d, fwd, x, GradavgPath::kForward, all)[0].item<double>();
    EXPECT_NEAR(via_b, d->feedback().sum().item<double>() / 6.0, 1e-6) << rule;
    EXPECT_NEAR(via_w, d->weight().sum().item<double>() / 6.0, 1e-6) << rule;
    EXPECT_GT(std::fabs(via_b - via_w), 1e-4) << rule;
    ConvLayer c = f.conv("conv", ConvLayerOptions(2, 3, 3).padding(1).activation(Activation::kRelu));
    // Conv with ReLU: the closed form <f'(z), conv(1; B)> / n_out, computed here directly.
    torch::Tensor xc = torch::randn({2, 2, 5, 5});
    torch::Tensor got = recorded_gradavg(*c, [&](torch::Tensor x) { return c->forward(x); }, xc,
                                         GradavgPath::kFeedback, all);
    torch::Tensor y = c->forward(xc).detach();
    torch::Tensor mask = (y > 0).to(torch::kFloat32);
    torch::Tensor m = torch::conv2d(torch::ones({1, 2, 5, 5}), c->feedback().detach(), {}, 1, 1);
    torch::Tensor want = (mask * m).sum({1, 2, 3}).to(torch::kFloat64) / static_cast<double>(y[0].numel());
    EXPECT_TRUE(torch::allclose(got, want, 1e-5, 1e-6)) << rule;
  }
}

TEST(Gradavg, PreSynapticNoiseHasTheDocumentedSpread) {
  // Noise only: the value's noise has standard deviation sigma * sqrt(n_in) / n_out.
  LayerFactory f(1);
  DenseLayer d = f.dense("fc", DenseLayerOptions(50, 8));
  MeasurementCondition noisy;
  noisy.stddev = 0.5;
  UnitSampler clean{MeasurementCondition{}}, s(noisy);
  torch::Tensor x = torch::randn({4000, 50});
  torch::Tensor a = recorded_gradavg(*d, [&](torch::Tensor v) { return d->forward(v); }, x, GradavgPath::kForward, s);
  torch::Tensor b = recorded_gradavg(*d, [&](torch::Tensor v) { return d->forward(v); }, x, GradavgPath::kForward, clean);
  const double sd = (a - b).std().item<double>(), want = 0.5 * std::sqrt(50.0) / 8.0;
  EXPECT_NEAR(sd, want, 0.05 * want);
  EXPECT_NEAR((a - b).mean().item<double>(), 0.0, 4 * want / std::sqrt(4000.0));
}

TEST(Act, NoiseAddsItsVarianceAndKeepsTheMean) {
  // All-zero activations plus N(0, 4): var ~ 4, actsq_mean ~ 4, actraw_mean ~ 0.
  MeasurementCondition c;
  c.stddev = 2.0;
  UnitSampler s(c);
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(3);
  torch::Tensor stats = act_sample_observables(torch::zeros({64, 2000}), s, g).mean(0);
  const auto idx = [](Function f, Statistic st) { return int(f) * kNumStatistics + int(st); };
  EXPECT_NEAR(stats[idx(Function::kRaw, Statistic::kVar)].item<double>(), 4.0, 0.1);
  EXPECT_NEAR(stats[idx(Function::kSq, Statistic::kMean)].item<double>(), 4.0, 0.1);
  EXPECT_NEAR(stats[idx(Function::kRaw, Statistic::kMean)].item<double>(), 0.0, 0.02);
  EXPECT_NEAR(stats[idx(Function::kRaw, Statistic::kKurtosis)].item<double>(), 3.0, 0.1);  // Gaussian
}

TEST(Weight, NormModesAndSubsampling) {
  torch::Tensor w = torch::randn({4, 3, 2, 2});  // OIHW
  UnitSampler all{MeasurementCondition{}};
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(0);
  torch::Tensor tf = tf_layout(w);
  torch::Tensor fro = weight_observables(tf, WeightNormMode::kFrobenius, all, g);
  torch::Tensor slices = weight_observables(tf, WeightNormMode::kSliceMean, all, g);
  const int raw_norm = int(Function::kRaw) * kNumStatistics + int(Statistic::kNorm);
  EXPECT_NEAR(fro[raw_norm].item<double>(), w.norm().item<double>(), 1e-6);
  // slice_mean: mean over k_h of the L2 norm of W[:, :, h, :].
  const double want = (w.select(2, 0).norm() + w.select(2, 1).norm()).item<double>() / 2.0;
  EXPECT_NEAR(slices[raw_norm].item<double>(), want, 1e-6);
  // Subsampled: the plain L2 norm of the kept entries, whatever the mode.
  MeasurementCondition c;
  c.frac = 0.25;
  UnitSampler s1(c), s2(c);
  torch::Tensor kept = tf.reshape({-1}).index_select(0, s1.indices(UnitRole::kWeight, w.numel()));
  EXPECT_NEAR(weight_observables(tf, WeightNormMode::kSliceMean, s2, g)[raw_norm].item<double>(),
              kept.norm().item<double>(), 1e-6);
}

}  // namespace
}  // namespace lrid

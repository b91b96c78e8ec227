// Shared helpers of the architecture tests: options, seeded inputs, layer-list
// summaries, parameter comparison and the gradient-reaches-every-layer check.
#pragma once
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <array>
#include <string>
#include <vector>

#include "models/model.h"

namespace lrid::model_checks {

inline ModelOptions options(const std::string& arch, int64_t channels, int64_t size,
                            uint64_t seed = 0) {
  ModelOptions o;
  o.architecture = arch;
  o.in_channels = channels;
  o.input_size = size;
  o.num_classes = 10;
  o.seed = seed;
  return o;
}

inline torch::Tensor images(int64_t n, int64_t channels, int64_t size, uint64_t seed = 1) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::randn({n, channels, size, size}, gen);
}

inline std::vector<std::string> layer_names(const ModelImpl& m) {
  std::vector<std::string> out;
  for (const auto& l : m.layers()) out.push_back(l.name);
  return out;
}

// Early/middle/deep counts; also checks indices and that positions never go back.
inline std::array<int, 3> group_counts(const ModelImpl& m) {
  std::array<int, 3> counts{0, 0, 0};
  int last = 0;
  for (size_t i = 0; i < m.layers().size(); ++i) {
    const auto& l = m.layers()[i];
    EXPECT_EQ(l.index, static_cast<int64_t>(i));
    EXPECT_GE(static_cast<int>(l.position), last) << l.name;
    last = static_cast<int>(l.position);
    ++counts[last];
  }
  return counts;
}

inline const LayerInfo& layer(const ModelImpl& m, const std::string& name) {
  for (const auto& l : m.layers())
    if (l.name == name) return l;
  throw std::runtime_error("no layer " + name);
}

// Logits [N, classes] (train and eval), features [N, feature_dim], and
// forward == classifier(features) in eval mode. Returns the model built.
inline Model expect_shapes(const std::string& arch, int64_t channels, int64_t size, int64_t n = 2) {
  SCOPED_TRACE(arch + " " + std::to_string(channels) + "x" + std::to_string(size));
  Model m = build_model(options(arch, channels, size));
  const auto x = images(n, channels, size);
  m->train();
  const auto y_train = m->forward(x);
  EXPECT_EQ(y_train.sizes(), (std::vector<int64_t>{n, 10}));
  EXPECT_TRUE(torch::isfinite(y_train).all().item<bool>());
  m->eval();
  torch::NoGradGuard no_grad;
  const auto y = m->forward(x);
  const auto f = m->features(x);
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{n, 10}));
  EXPECT_EQ(f.sizes(), (std::vector<int64_t>{n, m->feature_dim()}));
  const auto& head = m->layers().back();
  EXPECT_EQ(head.name, m->classifier_name());
  auto* dense = dynamic_cast<DenseLayerImpl*>(head.layer.get());
  EXPECT_NE(dense, nullptr);
  if (dense) {
    EXPECT_TRUE(torch::allclose(dense->forward(f), y, 1e-5, 1e-6));
  }
  return m;
}

// expect_shapes for every architecture of a family at 1x28 and 3x32, plus one
// RGB and one greyscale model at 64x64.
inline void expect_family_shapes(const std::vector<std::string>& family, const std::string& rgb64,
                                 const std::string& grey64) {
  for (const auto& arch : family) {
    expect_shapes(arch, 1, 28);
    expect_shapes(arch, 3, 32);
  }
  expect_shapes(rgb64, 3, 64);
  expect_shapes(grey64, 1, 64);
}

// An inference-mode forward pass of two seeded images with every layer's input
// and output captured (layer(m, name).layer->last_input() / last_output()).
inline void forward_capturing(ModelImpl& m, int64_t channels, int64_t size) {
  for (const auto& l : m.layers()) l.layer->set_capture(true);
  m.eval();
  torch::NoGradGuard no_grad;
  m.forward(images(2, channels, size));
}

// Same names, shapes and values for every parameter and buffer.
inline bool same_state(ModelImpl& a, ModelImpl& b) {
  auto pa = a.named_parameters(), pb = b.named_parameters();
  auto ba = a.named_buffers(), bb = b.named_buffers();
  if (pa.size() != pb.size() || ba.size() != bb.size()) return false;
  for (size_t i = 0; i < pa.size(); ++i)
    if (pa[i].key() != pb[i].key() || !torch::equal(pa[i].value(), pb[i].value())) return false;
  for (size_t i = 0; i < ba.size(); ++i)
    if (ba[i].key() != bb[i].key() || !torch::equal(ba[i].value(), bb[i].value())) return false;
  return true;
}

inline void expect_seed_determinism(const std::string& arch, int64_t channels, int64_t size) {
  SCOPED_TRACE(arch);
  Model a = build_model(options(arch, channels, size, 5));
  Model b = build_model(options(arch, channels, size, 5));
  Model c = build_model(options(arch, channels, size, 6));
  EXPECT_TRUE(same_state(*a, *b));
  EXPECT_FALSE(same_state(*a, *c));
  // Every recordable kernel differs between seeds, not just the first one drawn.
  for (size_t i = 0; i < a->layers().size(); ++i)
    EXPECT_FALSE(torch::equal(a->layers()[i].layer->weight(), c->layers()[i].layer->weight()))
        << a->layers()[i].name;
}

// Backward of a fixed random weighting of the logits (a plain sum can be
// cancelled exactly by training-mode batch norm); every kernel gets a nonzero grad.
inline void expect_gradients_everywhere(ModelImpl& m, int64_t channels, int64_t size) {
  m.train();
  m.zero_grad();
  const auto logits = m.forward(images(2, channels, size));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  (logits * torch::randn(logits.sizes(), gen)).sum().backward();
  for (const auto& l : m.layers()) {
    const auto& g = l.layer->weight().grad();
    ASSERT_TRUE(g.defined()) << l.name;
    EXPECT_TRUE(torch::isfinite(g).all().item<bool>()) << l.name;
    EXPECT_GT(g.abs().sum().item<double>(), 0.0) << l.name;
  }
}

// expect_gradients_everywhere on a freshly built model of each architecture.
inline void expect_gradients_in_every_model(const std::vector<std::string>& archs, int64_t channels, int64_t size) {
  for (const auto& arch : archs) {
    SCOPED_TRACE(arch);
    Model m = build_model(options(arch, channels, size));
    expect_gradients_everywhere(*m, channels, size);
  }
}

}  // namespace lrid::model_checks

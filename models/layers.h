// Recordable layers: every Linear and Conv2d of every model is built through
// LayerFactory, so that the credit-assignment scheme (backprop, FA, IA, ...)
// of every layer can be swapped without touching the model definitions, and
// so that the observables can find every layer with its original name.
//
// A recordable layer computes  x_in = pad(x);  z = op(x_in; W) + b;  y = f(z)
// where pad is an optional explicit (possibly asymmetric) zero padding, op is
// a matmul or convolution, b an optional bias and f the layer's own activation
// (identity or ReLU). Batch norm, pooling, LRN and dropout live outside.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rules/feedback_ops.h"
#include "rules/layer_rule.h"

namespace lrid {

// Weight initialisers of the original models (learning-rules.md §9.1).
struct Init {
  enum class Kind { kVarianceScaling, kGlorotUniform, kTruncatedNormal, kNormal, kZeros };
  Kind kind = Kind::kVarianceScaling;
  double stddev = 0.0;  // for kTruncatedNormal and kNormal

  static Init variance_scaling() { return {Kind::kVarianceScaling, 0.0}; }
  static Init glorot_uniform() { return {Kind::kGlorotUniform, 0.0}; }
  static Init truncated_normal(double s) { return {Kind::kTruncatedNormal, s}; }
  static Init normal(double s) { return {Kind::kNormal, s}; }
  static Init zeros() { return {Kind::kZeros, 0.0}; }
};

// Fills `w` in place from `gen`. fan_in/fan_out follow TF: conv fan_in = kh*kw*C_in/G.
void init_tensor(torch::Tensor& w, const Init& init, int64_t fan_in, int64_t fan_out,
                 torch::Generator& gen);

enum class Activation { kNone, kRelu };
enum class LayerPosition { kEarly = 0, kMiddle = 1, kDeep = 2 };
const char* position_name(LayerPosition p);

// Padding as (left, right, top, bottom), the order of torch::nn::functional::pad.
using Padding4 = std::array<int64_t, 4>;

// TF "SAME" padding for one spatial axis: total = max((out-1)*s + k_eff - in, 0),
// floor before, the rest after (learning-rules.md §9.6).
std::array<int64_t, 2> tf_same_padding(int64_t in, int64_t kernel, int64_t stride,
                                       int64_t dilation = 1);

struct ConvLayerOptions {
  ConvLayerOptions(int64_t in_channels, int64_t out_channels, int64_t kernel)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, kernel_size);
  TORCH_ARG(int64_t, stride) = 1;
  TORCH_ARG(int64_t, dilation) = 1;
  TORCH_ARG(int64_t, groups) = 1;
  // Symmetric padding handed to the conv op itself (implicit; not part of x).
  TORCH_ARG(int64_t, padding) = 0;
  // Explicit padding applied to the input before the op (part of x). Used for
  // TF-SAME with odd totals and for the strided ResNet convolutions (§3.3).
  TORCH_ARG(Padding4, explicit_padding) = Padding4{0, 0, 0, 0};
  TORCH_ARG(bool, bias) = false;
  TORCH_ARG(double, bias_init) = 0.0;
  TORCH_ARG(Init, init) = Init::variance_scaling();
  TORCH_ARG(Activation, activation) = Activation::kNone;
};

struct DenseLayerOptions {
  DenseLayerOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  TORCH_ARG(bool, bias) = true;
  TORCH_ARG(double, bias_init) = 0.0;
  TORCH_ARG(Init, init) = Init::glorot_uniform();
  TORCH_ARG(Activation, activation) = Activation::kNone;
};

// Common interface of the two recordable layer kinds.
class RecordableLayerImpl : public torch::nn::Module {
 public:
  explicit RecordableLayerImpl(std::string name) : name_(std::move(name)) {}
  const std::string& layer_name() const { return name_; }
  virtual bool is_conv() const = 0;
  virtual Activation activation() const = 0;
  // The forward kernel W ([out, in] dense, OIHW conv) and the optional bias.
  virtual torch::Tensor& weight() = 0;
  virtual torch::Tensor& bias() = 0;  // undefined when the layer has no bias

  // When capture is on, forward keeps the layer input x (after explicit
  // padding) and output y of the last call, for the observables.
  void set_capture(bool on) { capture_ = on; if (!on) { last_input_.reset(); last_output_.reset(); } }
  const torch::Tensor& last_input() const { return last_input_; }
  const torch::Tensor& last_output() const { return last_output_; }

  // Credit assignment (set once by LayerFactory): under an alignment rule the
  // layer owns the feedback kernel B, registered as the parameter "feedback"
  // (requires grad only when B is trained), and sends errors down through it.
  void set_rule(const LayerRule& rule, torch::Tensor feedback);
  const LayerRule& rule() const { return rule_; }
  torch::Tensor& feedback() { return feedback_; }  // undefined for backprop layers
  AlignmentProbe& probe() { return probe_; }
  // The layer-local alignment loss of the last training-mode forward pass
  // (undefined when the rule has none); taking it clears it.
  torch::Tensor take_alignment_loss() { return std::exchange(pending_loss_, torch::Tensor()); }

 protected:
  torch::Tensor finish(const torch::Tensor& x_in, torch::Tensor z);
  bool wants_alignment_loss() const;
  std::string name_;
  bool capture_ = false;
  torch::Tensor last_input_, last_output_;
  LayerRule rule_;
  torch::Tensor feedback_, pending_loss_;
  AlignmentProbe probe_;
};

// What a conv and a dense layer share: their options, W and the optional bias.
template <class Options, bool kConv>
class KernelLayerImpl : public RecordableLayerImpl {
 public:
  bool is_conv() const override { return kConv; }
  Activation activation() const override { return options.activation(); }
  torch::Tensor& weight() override { return weight_; }
  torch::Tensor& bias() override { return bias_; }
  void reset() {}
  Options options;

 protected:
  KernelLayerImpl(std::string name, Options o) : RecordableLayerImpl(std::move(name)), options(std::move(o)) {}
  torch::Tensor weight_, bias_;
};

class ConvLayerImpl : public KernelLayerImpl<ConvLayerOptions, true> {
 public:
  ConvLayerImpl(std::string name, ConvLayerOptions options, torch::Generator& gen);
  torch::Tensor forward(const torch::Tensor& x);
};
TORCH_MODULE(ConvLayer);

class DenseLayerImpl : public KernelLayerImpl<DenseLayerOptions, false> {
 public:
  DenseLayerImpl(std::string name, DenseLayerOptions options, torch::Generator& gen);
  // Inputs with extra trailing axes are flattened to [N, in_features].
  torch::Tensor forward(const torch::Tensor& x);
};
TORCH_MODULE(DenseLayer);

// One entry of a model's ordered list of recordable layers.
struct LayerInfo {
  std::string name;        // original name: "conv0", "block_group1_0/conv1", "fc8", ...
  int64_t index = 0;       // 0-based position in the model's list
  LayerPosition position;  // early / middle / deep (science.md §2.6)
  std::shared_ptr<RecordableLayerImpl> layer;
};

// Builds every Conv2d and Linear of a model, in order, from one seeded generator
// (draws are in construction order, so the same seed gives the same weights).
class LayerFactory {
 public:
  // B (under alignment rules) is drawn from its own stream, mixed from `seed`,
  // so W is the same under every rule for a given seed.
  explicit LayerFactory(uint64_t seed, LayerRule rule = {});
  ConvLayer conv(const std::string& name, const ConvLayerOptions& options);
  DenseLayer dense(const std::string& name, const DenseLayerOptions& options);
  // Ordered recordable layers with early/middle/deep assigned by the floor(n/3)
  // rule over the first `n_grouping` layers (default: all); layers after those
  // (e.g. a SimCLR head) are deep.
  std::vector<LayerInfo> layer_list(int64_t n_grouping = -1) const;
  torch::Generator& generator() { return gen_; }

 private:
  void attach_feedback(RecordableLayerImpl& layer, const Init& init, int64_t fan_in, int64_t fan_out);
  torch::Generator gen_, feedback_gen_;
  LayerRule rule_;
  std::vector<std::pair<std::string, std::shared_ptr<RecordableLayerImpl>>> layers_;
};

}  // namespace lrid

// AlexNet and AlexNet-LRN as in lr-identify's alexnet.py (learning-rules.md §9.4),
// adapted to any input size >= 11 (square or not) by computing the flattened size from the geometry.
#include <torch/torch.h>

#include <array>

#include "core/errors.h"
#include "models/architectures.h"
#include "models/tf_ops.h"

namespace lrid {

namespace {

// Spatial size after a 3x3/2 TF-SAME pool: ceil(s / 2).
int64_t same_pool(int64_t s) { return (s + 1) / 2; }

class AlexNetImpl : public ModelImpl {
 public:
  AlexNetImpl(const ModelOptions& options, bool lrn) : ModelImpl(options), lrn_(lrn) {
    LayerFactory f(options.seed, options.rule);
    // Convolutions: Glorot uniform, bias 0, ReLU inside the layer.
    auto conv = [](int64_t in, int64_t out, int64_t k) {
      ConvLayerOptions o(in, out, k);
      o.bias(true).bias_init(0.0).init(Init::glorot_uniform()).activation(Activation::kRelu);
      return o;
    };
    // Spatial sizes: conv1 11x11/4 VALID gives s1; each 3x3/2 SAME pool halves
    // (rounding up); conv2-5 are stride-1 SAME and keep the size.
    // Per axis: height from input_size, width from input_width (square by default).
    const std::array<int64_t, 2> s1 = {(options.input_size - 11) / 4 + 1, (input_width_of(options) - 11) / 4 + 1};
    const std::array<int64_t, 2> s3 = {same_pool(same_pool(s1[0])), same_pool(same_pool(s1[1]))};  // conv3-5 input
    const std::array<int64_t, 2> s5 = {same_pool(s3[0]), same_pool(s3[1])};                       // after pool5
    // conv2/3/5 have odd kernels: SAME is symmetric, implicit padding. conv4's
    // 4x4 SAME is asymmetric: explicit (1 before, 2 after) padding.
    conv1_ = register_module("conv1", f.conv("conv1", conv(options.in_channels, 96, 11).stride(4)));
    conv2_ = register_module("conv2", f.conv("conv2", conv(96, 256, 5).padding(2)));
    conv3_ = register_module("conv3", f.conv("conv3", conv(256, 384, 3).padding(1)));
    const auto p4h = tf_same_padding(s3[0], 4, 1), p4w = tf_same_padding(s3[1], 4, 1);
    conv4_ = register_module(
        "conv4",
        f.conv("conv4", conv(384, 384, 4).explicit_padding(Padding4{p4w[0], p4w[1], p4h[0], p4h[1]})));
    conv5_ = register_module("conv5", f.conv("conv5", conv(384, 256, 3).padding(1)));

    const int64_t flat = 256 * s5[0] * s5[1];  // fc6 input: flattened [N, 256, s5h, s5w]
    // fc6/fc7: truncated normal(0.01), bias 0.1, ReLU; fc8: truncated normal(0.01), bias 0.
    fc6_ = register_module("fc6", f.dense("fc6", DenseLayerOptions(flat, 4096)
                                                     .init(Init::truncated_normal(0.01))
                                                     .bias_init(0.1)
                                                     .activation(Activation::kRelu)));
    fc7_ = register_module("fc7", f.dense("fc7", DenseLayerOptions(4096, 4096)
                                                     .init(Init::truncated_normal(0.01))
                                                     .bias_init(0.1)
                                                     .activation(Activation::kRelu)));
    set_classifier(f.dense(
        "fc8", DenseLayerOptions(4096, options.num_classes).init(Init::truncated_normal(0.01)).bias_init(0.0)));
    layers_ = f.layer_list();
  }

  // fc7's output after dropout (dropout only in training mode): fc8's input.
  torch::Tensor features(const torch::Tensor& x) override {
    const TfLrnOptions lrn{5, 1.0, 1e-4, 0.75};
    torch::Tensor h = conv1_(x);
    if (lrn_) h = tf_local_response_norm(h, lrn);
    h = tf_same_max_pool2d(h, 3, 2);
    h = conv2_(h);
    if (lrn_) h = tf_local_response_norm(h, lrn);
    h = tf_same_max_pool2d(h, 3, 2);
    h = conv5_(conv4_(conv3_(h)));
    h = tf_same_max_pool2d(h, 3, 2);
    const double p = options_.dropout;
    h = torch::dropout(fc6_(h), p, is_training());  // fc6 flattens [N, 256, s5h, s5w]
    return torch::dropout(fc7_(h), p, is_training());
  }

  int64_t feature_dim() const override { return 4096; }

 private:
  bool lrn_;
  ConvLayer conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr}, conv4_{nullptr}, conv5_{nullptr};
  DenseLayer fc6_{nullptr}, fc7_{nullptr};
};

}  // namespace

Model make_alexnet(const ModelOptions& options) {
  const auto& a = options.architecture;
  if (a == "alexnet") return std::make_shared<AlexNetImpl>(options, false);
  if (a == "alexnetlrn") return std::make_shared<AlexNetImpl>(options, true);
  throw ConfigError("model: '" + a + "' is not an AlexNet architecture");
}

}  // namespace lrid

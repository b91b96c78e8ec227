// The KNet family (cuda-convnet's CIFAR-10 network) as in lr-identify's knet.py
// (learning-rules.md §9.5): 3 (KNet) or 4 (KNetC4) 5x5 SAME convolutions, with
// LRN (the *lrn names) or standard per-channel batch norm (the plain names).
#include <torch/torch.h>

#include "core/errors.h"
#include "models/architectures.h"
#include "models/tf_ops.h"

namespace lrid {

namespace {

class KNetImpl : public ModelImpl {
 public:
  KNetImpl(const ModelOptions& options, int64_t n_conv, bool lrn) : ModelImpl(options), lrn_(lrn) {
    const double momentum = bn_momentum_or(options, 0.1);
    LayerFactory f(options.seed, options.rule);
    const std::vector<int64_t> widths = {32, 32, 64, 128};
    int64_t in = options.in_channels, height = options.input_size, width = input_width_of(options);
    for (int64_t i = 0; i < n_conv; ++i) {
      const std::string name = "conv" + std::to_string(i + 1);
      // conv1: N(0, 1e-4²) and no activation (its ReLU follows the pool);
      // conv2-4: N(0, 0.01²) with ReLU inside the layer. All biases start at 0.
      ConvLayerOptions o(in, widths[i], 5);
      o.padding(2).bias(true).bias_init(0.0);
      o.init(i == 0 ? Init::normal(1e-4) : Init::normal(0.01));
      o.activation(i == 0 ? Activation::kNone : Activation::kRelu);
      convs_.push_back(register_module(name, f.conv(name, o)));
      // BN variant: every conv block ends in BN; LRN variant: LRN after blocks 1-2.
      if (!lrn_)
        bns_.push_back(register_module(
            "bn" + std::to_string(i + 1),
            torch::nn::BatchNorm2d(
                torch::nn::BatchNorm2dOptions(widths[i]).momentum(momentum).eps(options.bn_eps))));
      in = widths[i];
      height = (height + 1) / 2;  // 3x3/2 TF-SAME pool
      width = (width + 1) / 2;
    }
    feature_dim_ = in * height * width;
    const std::string fc = "fc" + std::to_string(n_conv + 1);
    set_classifier(
        f.dense(fc, DenseLayerOptions(feature_dim_, options.num_classes).init(Init::normal(0.01)).bias_init(0.0)));
    layers_ = f.layer_list();
  }

  // Flattened output of the last conv block: [N, C * h * w].
  torch::Tensor features(const torch::Tensor& x) override {
    const TfLrnOptions lrn{3, 1.0, 5e-5, 0.75};
    torch::Tensor h = x;
    for (size_t i = 0; i < convs_.size(); ++i) {
      h = convs_[i](h);
      if (i == 0) {
        // max pool, then LRN variant: ReLU -> LRN; BN variant: BN -> ReLU.
        h = tf_same_max_pool2d(h, 3, 2);
        h = lrn_ ? tf_local_response_norm(torch::relu(h), lrn) : torch::relu(bns_[0](h));
      } else {
        h = tf_same_avg_pool2d(h, 3, 2);
        if (!lrn_)
          h = bns_[i](h);
        else if (i == 1)
          h = tf_local_response_norm(h, lrn);
      }
    }
    return h.flatten(1);
  }

  int64_t feature_dim() const override { return feature_dim_; }

 private:
  bool lrn_;
  int64_t feature_dim_ = 0;
  std::vector<ConvLayer> convs_;
  std::vector<torch::nn::BatchNorm2d> bns_;
};

}  // namespace

Model make_knet(const ModelOptions& options) {
  const auto& a = options.architecture;
  if (a == "knet") return std::make_shared<KNetImpl>(options, 3, false);
  if (a == "knetlrn") return std::make_shared<KNetImpl>(options, 3, true);
  if (a == "knetc4") return std::make_shared<KNetImpl>(options, 4, false);
  if (a == "knetc4lrn") return std::make_shared<KNetImpl>(options, 4, true);
  throw ConfigError("model: '" + a + "' is not a KNet architecture");
}

}  // namespace lrid

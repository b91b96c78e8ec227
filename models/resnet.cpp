// ResNet-18/34, v1 (post-activation) and v2 (pre-activation), as in lr-identify's
// resnet_model_v1.py / resnet_model_v2.py (learning-rules.md §9.2, §9.3).
// Every group's first block has a 1x1 projection shortcut (group 1 included).
#include <torch/torch.h>

#include "core/errors.h"
#include "models/architectures.h"
#include "models/tf_ops.h"

namespace lrid {

namespace {

// The original's conv2d_fixed_padding: strided convs pad explicitly by
// (floor((k-1)/2), k-1-floor((k-1)/2)) and run VALID, so the padded tensor is
// the layer input (§3.3); stride-1 convs are SAME, i.e. implicit (k-1)/2 for odd k.
ConvLayerOptions fixed_padding_conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  ConvLayerOptions o(in, out, kernel);
  o.stride(stride).bias(false).init(Init::variance_scaling()).activation(Activation::kNone);
  if (stride > 1) {
    const int64_t beg = (kernel - 1) / 2, end = kernel - 1 - beg;
    o.explicit_padding(Padding4{beg, end, beg, end}).padding(0);
  } else {
    o.padding((kernel - 1) / 2);
  }
  return o;
}

torch::nn::BatchNorm2d make_bn(int64_t channels, double momentum, double eps) {
  return torch::nn::BatchNorm2d(
      torch::nn::BatchNorm2dOptions(channels).momentum(momentum).eps(eps));
}

struct BlockArgs {
  std::string prefix;  // "block_group1_0" (v1) or "block_layer1_0" (v2)
  int64_t in = 0, out = 0, stride = 1;
  bool projection = false;
  double momentum = 0.1, eps = 1e-5;
};

// v1 basic block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut), where
// shortcut = bn0(conv0(x)) in a group's first block, else x. bn2's γ starts at 0.
class BlockV1Impl : public torch::nn::Module {
 public:
  BlockV1Impl(LayerFactory& factory, const BlockArgs& a) {
    if (a.projection) {
      conv0 = register_module(
          "conv0", factory.conv(a.prefix + "/conv0", fixed_padding_conv(a.in, a.out, 1, a.stride)));
      bn0 = register_module("bn0", make_bn(a.out, a.momentum, a.eps));
    }
    conv1 = register_module(
        "conv1", factory.conv(a.prefix + "/conv1", fixed_padding_conv(a.in, a.out, 3, a.stride)));
    bn1 = register_module("bn1", make_bn(a.out, a.momentum, a.eps));
    conv2 = register_module(
        "conv2", factory.conv(a.prefix + "/conv2", fixed_padding_conv(a.out, a.out, 3, 1)));
    bn2 = register_module("bn2", make_bn(a.out, a.momentum, a.eps));
    torch::NoGradGuard no_grad;
    bn2->weight.zero_();
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor shortcut = conv0 ? bn0(conv0(x)) : x;
    torch::Tensor h = torch::relu(bn1(conv1(x)));
    h = bn2(conv2(h));
    return torch::relu(h + shortcut);
  }

 private:
  ConvLayer conv0{nullptr}, conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn0{nullptr}, bn1{nullptr}, bn2{nullptr};
};

// v2 block: h = relu(bn_pre(x)); conv2(relu(bn1(conv1(h)))) + shortcut, where
// shortcut = conv0(h) in a group's first block, else x. No ReLU after the sum.
class BlockV2Impl : public torch::nn::Module {
 public:
  BlockV2Impl(LayerFactory& factory, const BlockArgs& a) {
    bn_pre = register_module("bn_pre", make_bn(a.in, a.momentum, a.eps));
    if (a.projection)
      conv0 = register_module(
          "conv0", factory.conv(a.prefix + "/conv0", fixed_padding_conv(a.in, a.out, 1, a.stride)));
    conv1 = register_module(
        "conv1", factory.conv(a.prefix + "/conv1", fixed_padding_conv(a.in, a.out, 3, a.stride)));
    bn1 = register_module("bn1", make_bn(a.out, a.momentum, a.eps));
    conv2 = register_module(
        "conv2", factory.conv(a.prefix + "/conv2", fixed_padding_conv(a.out, a.out, 3, 1)));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor h = torch::relu(bn_pre(x));
    torch::Tensor shortcut = conv0 ? conv0(h) : x;
    h = torch::relu(bn1(conv1(h)));
    return conv2(h) + shortcut;
  }

 private:
  ConvLayer conv0{nullptr}, conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn_pre{nullptr}, bn1{nullptr};
};

class ResNetImpl : public ModelImpl {
 public:
  ResNetImpl(const ModelOptions& options, const std::vector<int64_t>& blocks, bool v2)
      : ModelImpl(options), v2_(v2) {
    const double momentum = bn_momentum_or(options, v2 ? 0.003 : 0.1);
    LayerFactory factory(options.seed, options.rule);
    // Stem: 7x7/2 conv (explicit 3/3 padding), [v1: BN, ReLU], 3x3/2 TF-SAME max pool.
    conv0_ = register_module(
        "conv0", factory.conv("conv0", fixed_padding_conv(options.in_channels, options.width, 7, 2)));
    if (!v2) bn0_ = register_module("bn0", make_bn(options.width, momentum, options.bn_eps));

    int64_t in = options.width;
    for (size_t g = 0; g < blocks.size(); ++g) {
      const int64_t filters = options.width << g;
      for (int64_t b = 0; b < blocks[g]; ++b) {
        BlockArgs a;
        a.prefix = std::string(v2 ? "block_layer" : "block_group") + std::to_string(g + 1) + "_" +
                   std::to_string(b);
        a.in = in;
        a.out = filters;
        a.stride = (b == 0 && g > 0) ? 2 : 1;
        a.projection = b == 0;
        a.momentum = momentum;
        a.eps = options.bn_eps;
        if (v2)
          blocks_v2_.push_back(
              register_module(a.prefix, std::make_shared<BlockV2Impl>(factory, a)));
        else
          blocks_v1_.push_back(
              register_module(a.prefix, std::make_shared<BlockV1Impl>(factory, a)));
        in = filters;
      }
    }
    feature_dim_ = in;
    if (v2) bn_final_ = register_module("bn_final", make_bn(in, momentum, options.bn_eps));
    // Head: v1 N(0, 0.01²), v2 Glorot uniform; zero bias.
    set_classifier(factory.dense("dense", DenseLayerOptions(in, options.num_classes)
                                              .bias(true)
                                              .bias_init(0.0)
                                              .init(v2 ? Init::glorot_uniform() : Init::normal(0.01))));
    layers_ = factory.layer_list();
  }

  torch::Tensor features(const torch::Tensor& x) override {
    torch::Tensor h = conv0_(x);
    if (!v2_) h = torch::relu(bn0_(h));
    h = tf_same_max_pool2d(h, 3, 2);
    for (auto& block : blocks_v1_) h = block->forward(h);
    for (auto& block : blocks_v2_) h = block->forward(h);
    if (v2_) h = torch::relu(bn_final_(h));
    return h.mean({2, 3});  // global average pool: [N, 8 * width] (512 at the default width)
  }

  int64_t feature_dim() const override { return feature_dim_; }

 private:
  bool v2_;
  int64_t feature_dim_ = 0;
  ConvLayer conv0_{nullptr};
  torch::nn::BatchNorm2d bn0_{nullptr}, bn_final_{nullptr};
  std::vector<std::shared_ptr<BlockV1Impl>> blocks_v1_;
  std::vector<std::shared_ptr<BlockV2Impl>> blocks_v2_;
};

}  // namespace

Model make_resnet(const ModelOptions& options) {
  const auto& a = options.architecture;
  if (a == "resnet18")
    return std::make_shared<ResNetImpl>(options, std::vector<int64_t>{2, 2, 2, 2}, false);
  if (a == "resnet18v2")
    return std::make_shared<ResNetImpl>(options, std::vector<int64_t>{2, 2, 2, 2}, true);
  if (a == "resnet34")
    return std::make_shared<ResNetImpl>(options, std::vector<int64_t>{3, 4, 6, 3}, false);
  if (a == "resnet34v2")
    return std::make_shared<ResNetImpl>(options, std::vector<int64_t>{3, 4, 6, 3}, true);
  throw ConfigError("model: '" + a + "' is not a ResNet architecture");
}

}  // namespace lrid

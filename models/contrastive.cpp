// The SimCLR network of lr-identify's simclr_model.py (learning-rules.md §10,
// science.md §2.4, §2.6): a supervised backbone without its final classifier,
// then the projection head `head_contrastive`:
//   nl_0: dense D -> D, no bias, W ~ N(0, 0.01²) -> BN (γ, β; decay 0.9) -> ReLU
//   nl_1: dense D -> P, no bias, W ~ N(0, 0.01²) -> BN with γ, without β (decay 0.9)
// D is the backbone's feature size (ResNet 512, AlexNet fc7's 4096, KNet the
// flattened conv features), P = projection_dim (128). Both head layers are
// recordable (alignment layers under FA/IA/...) and deep; the backbone layers
// keep their supervised early/middle/deep grouping, which counts the absent
// classifier. The classifier is built (its draws come last, so the backbone's
// initial weights equal the supervised network's for a seed) and then
// unregistered: it is neither trained, nor saved, nor recorded.
#include <torch/torch.h>

#include "core/errors.h"
#include "core/seeding.h"
#include "models/model.h"

namespace lrid {
namespace {

constexpr uint64_t kHeadTag = 0x68656164ULL;  // "head": the head's weights have their own stream

class ContrastiveModelImpl : public ModelImpl {
 public:
  ContrastiveModelImpl(Model backbone, const ModelOptions& options)
      : ModelImpl(options), backbone_(std::move(backbone)) {
    register_module("backbone", backbone_);
    const std::string classifier = backbone_->classifier_name();
    backbone_->unregister_module(classifier);
    const int64_t d = backbone_->feature_dim(), p = options.projection_dim;
    LayerFactory f(mix_seed(options.seed, kHeadTag), options.rule);
    nl0_ = register_module("head_nl_0", f.dense("head_contrastive/nl_0",
                                                DenseLayerOptions(d, d).bias(false).init(Init::normal(0.01))));
    bn0_ = register_module("head_bn_0",
                           torch::nn::BatchNorm1d(torch::nn::BatchNorm1dOptions(d).momentum(0.1).eps(options.bn_eps)));
    nl1_ = register_module("head_nl_1", f.dense("head_contrastive/nl_1",
                                                DenseLayerOptions(d, p).bias(false).init(Init::normal(0.01))));
    bn1_ = register_module("head_bn_1", torch::nn::BatchNorm1d(
                                            torch::nn::BatchNorm1dOptions(p).affine(false).momentum(0.1).eps(options.bn_eps)));
    gamma1_ = register_parameter("head_bn_1_gamma", torch::ones({p}));
    for (const auto& l : backbone_->layers())
      if (l.name != classifier) layers_.push_back(l);
    for (auto l : f.layer_list()) {
      l.index = static_cast<int64_t>(layers_.size());
      l.position = LayerPosition::kDeep;
      layers_.push_back(l);
    }
  }

  // The 128-d projections [N, P] (before the loss's L2 normalisation).
  torch::Tensor forward(const torch::Tensor& x) override {
    torch::Tensor h = torch::relu(bn0_(nl0_(backbone_->features(x))));
    return bn1_(nl1_(h)) * gamma1_;
  }
  torch::Tensor features(const torch::Tensor& x) override { return backbone_->features(x); }
  int64_t feature_dim() const override { return backbone_->feature_dim(); }
  std::string classifier_name() const override { return "head_contrastive/nl_1"; }

 private:
  Model backbone_;
  DenseLayer nl0_{nullptr}, nl1_{nullptr};
  torch::nn::BatchNorm1d bn0_{nullptr}, bn1_{nullptr};
  torch::Tensor gamma1_;
};

}  // namespace

Model make_contrastive(Model backbone, const ModelOptions& options) {
  if (options.projection_dim < 1)
    throw ConfigError("model: projection_dim must be >= 1 for the SimCLR head, got " +
                      std::to_string(options.projection_dim));
  return std::make_shared<ContrastiveModelImpl>(std::move(backbone), options);
}

}  // namespace lrid

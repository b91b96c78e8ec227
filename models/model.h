// The model interface: every architecture of the paper, adapted to the input
// size, exposing its ordered recordable layers (science.md §2.4, §2.6).
#pragma once
#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "models/layers.h"

namespace lrid {

struct ModelOptions {
  std::string architecture = "knet";  // see architecture_names()
  int64_t in_channels = 3;
  int64_t input_size = 32;            // input height (and width when input_width is 0): 28, 32, 64, 224, ...
  int64_t input_width = 0;            // > 0: inputs are input_size x input_width (a cochleagram: 50 x 200)
  int64_t num_classes = 10;
  uint64_t seed = 0;                  // model seed: all initial weights derive from it
  double bn_momentum = -1.0;          // PyTorch convention; < 0: the architecture's default
  double bn_eps = 1e-5;
  double dropout = 0.5;               // AlexNet fc6/fc7 dropout rate
  int64_t width = 64;                 // ResNet: channels of the stem and stage 1 (stage g: width * 2^g)
  LayerRule rule;                     // credit assignment of every Conv2d and Linear
  // > 0: the SimCLR network (learning-rules.md §10): the backbone without its
  // final classifier, then the projection head head_contrastive/nl_0 (D -> D)
  // and nl_1 (D -> projection_dim); forward() returns the head's output.
  int64_t projection_dim = 0;
};

// The input's width: input_width, or input_size for square inputs.
inline int64_t input_width_of(const ModelOptions& o) { return o.input_width > 0 ? o.input_width : o.input_size; }

class ModelImpl : public torch::nn::Module {
 public:
  // Logits [N, num_classes] for images [N, C, H, W]: the classifier on the features.
  virtual torch::Tensor forward(const torch::Tensor& x) { return classifier_(features(x)); }
  // Backbone output without the final classifier: [N, feature_dim()]
  // (ResNet: pooled 512 features; AlexNet: fc7 output; KNet: flattened conv features).
  virtual torch::Tensor features(const torch::Tensor& x) = 0;
  virtual int64_t feature_dim() const = 0;
  // The final classifier's layer name ("dense", "fc8", "fc4", "fc5").
  virtual std::string classifier_name() const { return classifier_->layer_name(); }

  const std::vector<LayerInfo>& layers() const { return layers_; }
  const std::string& architecture() const { return options_.architecture; }
  const ModelOptions& options() const { return options_; }
  // Coupled L2 rate of the original (learning-rules.md §9.7).
  double default_weight_decay() const;
  // Sum of the layers' alignment losses from the last training forward pass
  // (undefined when the rule has none); taking them clears them.
  torch::Tensor take_alignment_loss();

 protected:
  explicit ModelImpl(ModelOptions options) : options_(std::move(options)) {}
  // Registers the final dense layer under its own (original) name as the classifier.
  void set_classifier(DenseLayer layer) {
    const std::string name = layer->layer_name();
    classifier_ = register_module(name, std::move(layer));
  }
  ModelOptions options_;
  DenseLayer classifier_{nullptr};
  std::vector<LayerInfo> layers_;
};

using Model = std::shared_ptr<ModelImpl>;

// Throws lrid::ConfigError for an unknown architecture or an input size the
// architecture cannot take.
Model build_model(const ModelOptions& options);
// The SimCLR network around a supervised backbone built with the same options
// (models/contrastive.cpp); build_model calls it when projection_dim > 0.
Model make_contrastive(Model backbone, const ModelOptions& options);
const std::vector<std::string>& architecture_names();

}  // namespace lrid

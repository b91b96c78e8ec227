// The registry of architectures. See registry.h.
#include "models/registry.h"

namespace lrid {

double architecture_weight_decay(const std::string& a) {
  if (a.rfind("resnet", 0) == 0) return 1e-4;
  if (a.rfind("alexnet", 0) == 0) return 5e-4;
  return 1e-5;  // KNet family
}

namespace {

// Batch-norm architectures: the running-average momentum (default per family) and epsilon.
OptionsBinding<ModelOptions> batch_norm(double momentum) {
  ModelOptions p;
  p.bn_momentum = momentum;
  OptionsBinding<ModelOptions> b(p);
  b.add("bn_momentum", &ModelOptions::bn_momentum).above(0).at_most(1)
      .describe("batch-norm running-average momentum (PyTorch convention)");
  b.add("bn_eps", &ModelOptions::bn_eps).above(0);
  return b;
}

// ResNets: batch norm plus the base width (64 in the original; a reduced
// width keeps the depth and the layer structure at a fraction of the cost).
OptionsBinding<ModelOptions> resnet(double momentum) {
  OptionsBinding<ModelOptions> b = batch_norm(momentum);
  b.add("width", &ModelOptions::width).at_least(1)
      .describe("channels of the stem and the first stage (stage g has width * 2^g)");
  return b;
}

OptionsBinding<ModelOptions> alexnet() {
  OptionsBinding<ModelOptions> b;
  b.add("dropout", &ModelOptions::dropout).at_least(0).below(1).describe("fc6/fc7 dropout rate");
  return b;
}

}  // namespace

const Registry<ModelSpec>& model_registry() {
  static const Registry<ModelSpec> r = [] {
    Registry<ModelSpec> reg("model");
    for (const char* a : {"resnet18", "resnet34"})
      reg.add_typed(a, "ResNet v1 (post-activation), TF-TPU details", ModelSpec{resnet(0.1)});
    for (const char* a : {"resnet18v2", "resnet34v2"})
      reg.add_typed(a, "ResNet v2 (pre-activation)", ModelSpec{resnet(0.003)});
    reg.add_typed("alexnet", "AlexNet", ModelSpec{alexnet()});
    reg.add_typed("alexnetlrn", "AlexNet with LRN", ModelSpec{alexnet()});
    reg.add_typed("knet", "KNet (CIFAR-10 network, batch-norm variant)", ModelSpec{batch_norm(0.1)});
    reg.add_typed("knetlrn", "KNet with LRN", ModelSpec{});
    reg.add_typed("knetc4", "KNetC4 (four convolutions, batch-norm variant)", ModelSpec{batch_norm(0.1)});
    reg.add_typed("knetc4lrn", "KNetC4 with LRN", ModelSpec{});
    return reg;
  }();
  return r;
}

Model make_model(const std::string& type, const Params& params, int64_t in_channels,
                 int64_t input_size, int64_t num_classes, uint64_t seed, const LayerRule& rule,
                 int64_t projection_dim) {
  ModelOptions o = model_options(type, params);
  o.in_channels = in_channels;
  o.input_size = input_size;
  o.num_classes = num_classes;
  o.seed = seed;
  o.rule = rule;
  o.projection_dim = projection_dim;
  return build_model(o);
}

ModelOptions model_options(const std::string& type, const Params& params) {
  const std::string architecture = model_registry().canonical(type, "model.type");
  ModelOptions o = model_registry().at(architecture).factory.options.parse(params);
  o.architecture = architecture;
  return o;
}

}  // namespace lrid

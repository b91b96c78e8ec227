// The registry of architectures. See registry.h.
#include "models/registry.h"

namespace lrid {

double architecture_weight_decay(const std::string& a) {
  if (a.rfind("resnet", 0) == 0) return 1e-4;
  if (a.rfind("alexnet", 0) == 0) return 5e-4;
  return 1e-5;  // KNet family
}

const Registry<ModelFactory>& model_registry() {
  static const Registry<ModelFactory> r = [] {
    Registry<ModelFactory> reg("model");
    auto bn = [](double def) {
      return Schema{real_param("bn_momentum", def)
                        .above(0)
                        .at_most(1)
                        .describe("batch-norm running-average momentum (PyTorch convention)"),
                    real_param("bn_eps", 1e-5).above(0)};
    };
    auto set_bn = [](const Params& p, ModelOptions& o) {
      o.bn_momentum = p.get_real("bn_momentum");
      o.bn_eps = p.get_real("bn_eps");
    };
    for (const char* a : {"resnet18", "resnet34"})
      reg.add(a, "ResNet v1 (post-activation), TF-TPU details", bn(0.1), set_bn);
    for (const char* a : {"resnet18v2", "resnet34v2"})
      reg.add(a, "ResNet v2 (pre-activation)", bn(0.003), set_bn);
    for (const char* a : {"alexnet", "alexnetlrn"})
      reg.add(a, a == std::string("alexnet") ? "AlexNet" : "AlexNet with LRN",
              {real_param("dropout", 0.5).at_least(0).below(1).describe("fc6/fc7 dropout rate")},
              [](const Params& p, ModelOptions& o) { o.dropout = p.get_real("dropout"); });
    reg.add("knet", "KNet (CIFAR-10 network, batch-norm variant)", bn(0.1), set_bn);
    reg.add("knetlrn", "KNet with LRN", {}, [](const Params&, ModelOptions&) {});
    reg.add("knetc4", "KNetC4 (four convolutions, batch-norm variant)", bn(0.1), set_bn);
    reg.add("knetc4lrn", "KNetC4 with LRN", {}, [](const Params&, ModelOptions&) {});
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
  ModelOptions o;
  o.architecture = model_registry().canonical(type, "model.type");
  model_registry().at(o.architecture).factory(params, o);
  return o;
}

}  // namespace lrid

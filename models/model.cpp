// build_model: validates ModelOptions and dispatches to the architecture families.
#include "models/model.h"

#include <torch/torch.h>

#include "core/errors.h"
#include "models/architectures.h"

namespace lrid {

torch::Tensor ModelImpl::take_alignment_loss() {
  torch::Tensor total;
  for (const auto& l : layers_) {
    torch::Tensor r = l.layer->take_alignment_loss();
    if (r.defined()) total = total.defined() ? total + r : r;
  }
  return total;
}

namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

bool is_known(const std::string& name) {
  const auto& names = architecture_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string known_list() {
  std::string out;
  for (const auto& n : architecture_names()) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

const std::vector<std::string>& architecture_names() {
  static const std::vector<std::string> names = {"resnet18", "resnet18v2", "resnet34", "resnet34v2",
                                                 "alexnet",  "alexnetlrn", "knet",     "knetlrn",
                                                 "knetc4",   "knetc4lrn"};
  return names;
}

double ModelImpl::default_weight_decay() const {
  const auto& a = options_.architecture;
  if (starts_with(a, "resnet")) return 1e-4;
  if (starts_with(a, "alexnet")) return 5e-4;
  return 1e-5;  // KNet family
}

Model build_model(const ModelOptions& options) {
  const auto& a = options.architecture;
  if (!is_known(a))
    throw ConfigError("model: unknown architecture '" + a + "' (known: " + known_list() + ")");
  if (options.in_channels < 1)
    throw ConfigError("model: in_channels must be >= 1, got " +
                      std::to_string(options.in_channels));
  if (options.num_classes < 2)
    throw ConfigError("model: num_classes must be >= 2, got " +
                      std::to_string(options.num_classes));
  if (!(options.bn_eps > 0.0))
    throw ConfigError("model: bn_eps must be > 0, got " + std::to_string(options.bn_eps));
  if (options.bn_momentum > 1.0)
    throw ConfigError("model: bn_momentum must be <= 1 (PyTorch convention), got " +
                      std::to_string(options.bn_momentum));
  // AlexNet's conv1 is an 11x11 VALID convolution; every other layer is SAME.
  const int64_t min_size = starts_with(a, "alexnet") ? 11 : 1;
  if (options.input_size < min_size)
    throw ConfigError("model: input_size " + std::to_string(options.input_size) +
                      " is too small for " + a + " (needs >= " + std::to_string(min_size) + ")");
  if (options.input_width < 0)
    throw ConfigError("model: input_width must be >= 0 (0: square), got " + std::to_string(options.input_width));
  if (input_width_of(options) < min_size)
    throw ConfigError("model: input_width " + std::to_string(options.input_width) +
                      " is too small for " + a + " (needs >= " + std::to_string(min_size) + ")");
  if (starts_with(a, "resnet") && options.width < 1)
    throw ConfigError("model: width must be >= 1, got " + std::to_string(options.width));
  if (starts_with(a, "alexnet") && !(options.dropout >= 0.0 && options.dropout < 1.0))
    throw ConfigError("model: dropout must be in [0, 1), got " + std::to_string(options.dropout));

  if (options.projection_dim < 0)
    throw ConfigError("model: projection_dim must be >= 0, got " + std::to_string(options.projection_dim));
  Model m = starts_with(a, "resnet") ? make_resnet(options) : starts_with(a, "alexnet") ? make_alexnet(options)
                                                                                        : make_knet(options);
  return options.projection_dim > 0 ? make_contrastive(m, options) : m;
}

}  // namespace lrid

// SGD-momentum and Adam with per-group coupled L2, following torch.optim
// exactly (tests/training/optimizer_test.cpp checks them against golden values
// from Python), stepped by ATen's fused kernels (fused_optimizers.h).
#include "training/optimizer.h"

#include <torch/torch.h>

#include <set>

#include "models/model.h"
#include "training/fused_optimizers.h"

namespace lrid {

ParamGroups model_param_groups(ModelImpl& model) {
  ParamGroups g;
  std::set<const void*> decayed;
  for (const auto& info : model.layers()) {
    for (torch::Tensor* t : {&info.layer->weight(), &info.layer->bias()}) {
      if (t->defined() && t->requires_grad()) {
        g.decayed.push_back(*t);
        decayed.insert(t->unsafeGetTensorImpl());
      }
    }
  }
  for (const auto& info : model.layers()) {
    const torch::Tensor& b = info.layer->feedback();
    if (b.defined() && b.requires_grad()) {
      g.feedback.push_back(b);
      decayed.insert(b.unsafeGetTensorImpl());
    }
  }
  for (const auto& p : model.parameters())
    if (p.requires_grad() && !decayed.count(p.unsafeGetTensorImpl())) g.not_decayed.push_back(p);
  return g;
}

namespace {

// Two parameter groups, decayed and not (batch norm), as PyTorch's param_groups.
template <class Options, class Optimizer>
std::unique_ptr<torch::optim::Optimizer> grouped(const ParamGroups& groups, const std::function<Options(double)>& options,
                                                 double wd) {
  std::vector<torch::optim::OptimizerParamGroup> pg;
  if (!groups.decayed.empty()) pg.emplace_back(groups.decayed, std::make_unique<Options>(options(wd)));
  if (!groups.not_decayed.empty()) pg.emplace_back(groups.not_decayed, std::make_unique<Options>(options(0.0)));
  return std::make_unique<Optimizer>(pg, options(wd));
}

std::unique_ptr<torch::optim::Optimizer> make_sgd(const ParamGroups& groups, const OptimizerOptions& o, double lr) {
  return grouped<torch::optim::SGDOptions, FusedSGD>(
      groups,
      [&](double wd) {
        return torch::optim::SGDOptions(lr).momentum(o.momentum).nesterov(o.nesterov).dampening(0.0).weight_decay(wd);
      },
      o.weight_decay);
}

std::unique_ptr<torch::optim::Optimizer> make_adam(const ParamGroups& groups, const OptimizerOptions& o, double lr) {
  return grouped<torch::optim::AdamOptions, FusedAdam>(
      groups,
      [&](double wd) { return torch::optim::AdamOptions(lr).betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(wd); },
      o.weight_decay);
}

// Coupled L2: absent from a user's file means the architecture's rate, which the config resolves.
void add_weight_decay(OptionsBinding<OptimizerOptions>& b) {
  b.optional("weight_decay", &OptimizerOptions::weight_decay).at_least(0)
      .describe("coupled L2 rate; default: the architecture's (learning-rules.md §9.7)");
}

OptionsBinding<OptimizerOptions> sgd_options() {
  OptionsBinding<OptimizerOptions> b;
  b.add("lr", &OptimizerOptions::lr).above(0).describe("learning rate");
  b.add("momentum", &OptimizerOptions::momentum).at_least(0).below(1);
  b.add("nesterov", &OptimizerOptions::nesterov);
  add_weight_decay(b);
  b.add("reference_batch_size", &OptimizerOptions::reference_batch_size).at_least(0)
      .describe("if > 0, lr is scaled by batch_size / reference_batch_size");
  return b;
}

OptionsBinding<OptimizerOptions> adam_options() {
  OptimizerOptions p;
  p.lr = 1e-3;
  OptionsBinding<OptimizerOptions> b(p);
  b.add("lr", &OptimizerOptions::lr).above(0);
  b.add("beta1", &OptimizerOptions::beta1).at_least(0).below(1);
  b.add("beta2", &OptimizerOptions::beta2).at_least(0).below(1);
  b.add("eps", &OptimizerOptions::eps).above(0);
  add_weight_decay(b);
  b.add("reference_batch_size", &OptimizerOptions::reference_batch_size).at_least(0);
  return b;
}

Registry<OptimizerSpec> make_optimizer_registry() {
  Registry<OptimizerSpec> reg("optimizer");
  reg.add_typed("sgd", "SGD with momentum (PyTorch semantics, dampening 0)", OptimizerSpec{sgd_options(), make_sgd});
  reg.add_typed("adam", "Adam (PyTorch semantics, coupled L2)", OptimizerSpec{adam_options(), make_adam});
  return reg;
}

}  // namespace

const Registry<OptimizerSpec>& optimizer_registry() { return built_once<OptimizerSpec, make_optimizer_registry>(); }

double base_learning_rate(const OptimizerOptions& o, int64_t batch_size) {
  return o.reference_batch_size > 0
             ? o.lr * static_cast<double>(batch_size) / static_cast<double>(o.reference_batch_size)
             : o.lr;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerOptions& options, const ParamGroups& groups,
                                                        double lr) {
  return optimizer_registry().at(options.type).factory.make(groups, options, lr);
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

void optimizer_state_to(torch::optim::Optimizer& optimizer, const torch::Device& device) {
  for (auto& kv : optimizer.state()) {
    auto* state = kv.second.get();
    if (auto* s = dynamic_cast<torch::optim::SGDParamState*>(state)) {
      if (s->momentum_buffer().defined()) s->momentum_buffer(s->momentum_buffer().to(device));
    } else if (auto* a = dynamic_cast<torch::optim::AdamParamState*>(state)) {
      a->exp_avg(a->exp_avg().to(device));
      a->exp_avg_sq(a->exp_avg_sq().to(device));
      if (a->max_exp_avg_sq().defined()) a->max_exp_avg_sq(a->max_exp_avg_sq().to(device));
    }
  }
}

}  // namespace lrid

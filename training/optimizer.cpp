// SGD-momentum and Adam through LibTorch's optimizers, with per-group coupled
// L2. LibTorch's implementations follow torch.optim exactly; tests/core/
// optimizer_test.cpp checks them against golden values from Python.
#include "training/optimizer.h"

#include <torch/torch.h>

#include <set>

#include "models/model.h"

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

std::unique_ptr<torch::optim::Optimizer> make_sgd(const ParamGroups& groups, const Params& p,
                                                  double lr) {
  auto options = [&](double wd) {
    return torch::optim::SGDOptions(lr)
        .momentum(p.get_real("momentum"))
        .nesterov(p.get_bool("nesterov"))
        .dampening(0.0)
        .weight_decay(wd);
  };
  std::vector<torch::optim::OptimizerParamGroup> pg;
  double wd = p.get_real("weight_decay");
  if (!groups.decayed.empty())
    pg.emplace_back(groups.decayed, std::make_unique<torch::optim::SGDOptions>(options(wd)));
  if (!groups.not_decayed.empty())
    pg.emplace_back(groups.not_decayed, std::make_unique<torch::optim::SGDOptions>(options(0.0)));
  return std::make_unique<torch::optim::SGD>(pg, options(wd));
}

std::unique_ptr<torch::optim::Optimizer> make_adam(const ParamGroups& groups, const Params& p,
                                                   double lr) {
  auto options = [&](double wd) {
    return torch::optim::AdamOptions(lr)
        .betas({p.get_real("beta1"), p.get_real("beta2")})
        .eps(p.get_real("eps"))
        .weight_decay(wd);
  };
  std::vector<torch::optim::OptimizerParamGroup> pg;
  double wd = p.get_real("weight_decay");
  if (!groups.decayed.empty())
    pg.emplace_back(groups.decayed, std::make_unique<torch::optim::AdamOptions>(options(wd)));
  if (!groups.not_decayed.empty())
    pg.emplace_back(groups.not_decayed, std::make_unique<torch::optim::AdamOptions>(options(0.0)));
  return std::make_unique<torch::optim::Adam>(pg, options(wd));
}

ParamSpec weight_decay_param() {
  ParamSpec s = optional_param("weight_decay", ParamType::kReal);
  s.at_least(0).describe("coupled L2 rate; default: the architecture's (learning-rules.md §9.7)");
  return s;
}

}  // namespace

const Registry<OptimizerFactory>& optimizer_registry() {
  static const Registry<OptimizerFactory> r = [] {
    Registry<OptimizerFactory> reg("optimizer");
    reg.add("sgd", "SGD with momentum (PyTorch semantics, dampening 0)",
            {real_param("lr", 0.1).above(0).describe("learning rate"),
             real_param("momentum", 0.9).at_least(0).below(1),
             bool_param("nesterov", false),
             weight_decay_param(),
             int_param("reference_batch_size", 0).at_least(0)
                 .describe("if > 0, lr is scaled by batch_size / reference_batch_size")},
            &make_sgd);
    reg.add("adam", "Adam (PyTorch semantics, coupled L2)",
            {real_param("lr", 1e-3).above(0), real_param("beta1", 0.9).at_least(0).below(1),
             real_param("beta2", 0.999).at_least(0).below(1), real_param("eps", 1e-8).above(0),
             weight_decay_param(), int_param("reference_batch_size", 0).at_least(0)},
            &make_adam);
    return reg;
  }();
  return r;
}

double base_learning_rate(const Params& p, int64_t batch_size) {
  double lr = p.get_real("lr");
  int64_t ref = p.get_int("reference_batch_size");
  return ref > 0 ? lr * static_cast<double>(batch_size) / static_cast<double>(ref) : lr;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::string& type, const Params& params,
                                                        const ParamGroups& groups, double lr) {
  return optimizer_registry().at(type).factory(groups, params, lr);
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

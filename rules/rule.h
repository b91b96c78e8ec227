// A learning rule = a credit-assignment scheme x the optimizer that updates W
// (learning-rules.md §2, §6). Names in configs and datasets:
//   sgdm, adam          backpropagation with SGD+momentum / Adam
//   fa                  feedback alignment: fixed random B sends errors down
//   ia                  information alignment: B trained by R_IA = a*amp + b*null + g*decay
//   sa, aa, wm, kp      symmetric alignment, activation alignment, weight mirror, Kolen-Pollack
// The original labels `feedback` and `information` are aliases of fa and ia.
//
// Everything that depends on which rule it is lives in the rule's registry
// entry: its traits (admissible optimizers, whether B exists, is trained, gets
// W's gradient) and the parser of its parameters into RuleOptions.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/options_binding.h"
#include "core/registry.h"
#include "rules/layer_rule.h"

namespace lrid {

struct RuleTraits {
  std::string default_optimizer;        // optimizer type when the config gives none
  std::vector<std::string> optimizers;  // optimizer types the rule admits
  bool feedback = false;                // alignment layers with a feedback kernel B
  bool trainable_feedback = false;      // B has an optimizer and a layer-local loss of its own
  bool feedback_gets_w_gradient = false;  // B also receives W's task gradient (KP)
};

// How B is trained (rules with a trainable B): its optimizer type ("same": W's),
// learning rate (0: W's, following W's schedule), and the weight of the summed
// alignment losses in the total objective.
struct FeedbackTraining {
  std::string optimizer = "same";
  double lr = 0;
  double alignment_rate = 1.0;
};

// A configured rule: what every layer does, how B is trained, and how often
// alignment.csv gets a row (0: never).
struct RuleOptions {
  LayerRule layer;
  FeedbackTraining feedback;
  int64_t metrics_every = 0;
};

struct RuleSpec {
  RuleTraits traits;
  OptionsBinding<RuleOptions> options;  // `rule.parameters` and their defaults
};

// Whether B's layer-local loss is decay alone (KP's), so that its gradient,
// alignment_rate * 2 decay * B, can be applied by B's optimizer as coupled weight
// decay instead: the same update (SGD and Adam add wd * B to the gradient before
// their step, after any loss-scale unscaling), without a parameter-sized gradient
// written by the loss and then added to the tied gradient (two passes over
// ResNet-18's 11M kernel weights per step). The trainer does both halves: the
// layers' decay_grad_by_optimizer and B's optimizer's weight_decay.
bool feedback_decay_by_optimizer(const RuleOptions& rule);
// That weight decay: alignment_rate * 2 decay when feedback_decay_by_optimizer, else 0.
double feedback_weight_decay(const RuleOptions& rule);

const Registry<RuleSpec>& rule_registry();
// Traits of a rule name (aliases resolved); ConfigError for an unknown name.
const RuleTraits& rule_traits(const std::string& rule);
// The options of a configured rule.
RuleOptions rule_options(const std::string& rule, const Params& params);
// rule_options(rule, params).layer: what model builders need.
LayerRule layer_rule(const std::string& rule, const Params& params);

// The order of rule labels in datasets, confusion matrices and reports
// (science.md §1): adam, sgdm, ia, fa, sa, aa, wm, kp; an alias sorts with its
// rule. -1 for a label that is no rule.
int rule_order(const std::string& label);
// The rule a label names (an alias resolved); other labels unchanged.
std::string canonical_rule(const std::string& label);

}  // namespace lrid

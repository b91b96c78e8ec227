// A learning rule = a credit-assignment scheme x the optimizer that updates W
// (learning-rules.md §2, §6). Names in configs and datasets:
//   sgdm, adam          backpropagation with SGD+momentum / Adam
//   fa                  feedback alignment: fixed random B sends errors down
//   ia                  information alignment: B trained by R_IA = a*amp + b*null + g*decay
//   sa, aa, wm, kp      symmetric alignment, activation alignment, weight mirror, Kolen-Pollack
// The original labels `feedback` and `information` are aliases of fa and ia.
#pragma once
#include <string>
#include <vector>

#include "core/registry.h"
#include "rules/layer_rule.h"

namespace lrid {

struct RuleTraits {
  std::string default_optimizer;        // optimizer type when the config gives none
  std::vector<std::string> optimizers;  // optimizer types the rule admits
  bool feedback = false;                // alignment layers with a feedback kernel B
  bool trainable_feedback = false;      // B has an optimizer of its own
};

// Builds the per-layer settings of a configured rule.
using RuleFactory = LayerRule (*)(const Params& params);

const Registry<RuleFactory>& rule_registry();
// Traits of a rule name (aliases resolved).
RuleTraits rule_traits(const std::string& rule);
// Per-layer settings of a configured rule.
LayerRule layer_rule(const std::string& rule, const Params& params);

// How B is trained (rules with a trainable B): its optimizer type ("same": W's),
// learning rate (0: W's, following W's schedule), and the weight of the summed
// alignment losses in the total objective.
struct FeedbackTraining {
  std::string optimizer = "same";
  double lr = 0;
  double alignment_rate = 1.0;
};
FeedbackTraining feedback_training(const std::string& rule, const Params& params);

// Steps between alignment-angle records (0: off), for rules with feedback.
int64_t alignment_metrics_every(const std::string& rule, const Params& params);

}  // namespace lrid

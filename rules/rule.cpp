// The registry of learning rules, their traits, parameters and defaults
// (learning-rules.md §2, §5.4, §6; defaults of neuroailab/Neural-Alignment).
#include "rules/rule.h"

#include <algorithm>

namespace lrid {
namespace {

// [assumption] W under the alignment rules uses SGD with momentum, as sgdm (§2); Adam is allowed.
RuleTraits alignment_traits(bool trainable, bool w_gradient = false) {
  return {"sgd", {"sgd", "adam"}, true, trainable, w_gradient};
}

// One coefficient of B's layer-local loss: its parameter, default, and the primitive it weighs.
struct Coefficient {
  const char* name;
  double default_value;
  double RegularizerCoefficients::*primitive;
  const char* primitive_name;
};
using Coefficients = std::vector<Coefficient>;

template <class T>
using RuleField = OptionsBinding<RuleOptions>::Access<T>;

// The options of an alignment rule: B's loss coefficients, then the parameters every
// alignment rule shares (and those of a trained B). The prototype holds the traits' settings.
OptionsBinding<RuleOptions> alignment_options(const RuleTraits& traits, const Coefficients& coefficients,
                                              const FeedbackTraining& feedback) {
  RuleOptions p;
  p.feedback = feedback;
  p.layer.feedback = true;
  p.layer.trainable_feedback = traits.trainable_feedback;
  p.layer.tie_grad = traits.feedback_gets_w_gradient;
  for (const auto& c : coefficients) p.layer.regularizer.*c.primitive = c.default_value;
  OptionsBinding<RuleOptions> b(p);
  for (const auto& c : coefficients)
    b.add(c.name, RuleField<double>([f = c.primitive](RuleOptions& o) -> double& { return o.layer.regularizer.*f; }))
        .at_least(0)
        .describe(c.primitive_name);
  b.add("feedback_init", RuleField<std::string>([](RuleOptions& o) -> std::string& { return o.layer.feedback_init; }))
      .one_of({"independent", "copy_forward"})
      .describe("B drawn independently with W's initialiser, or B0 = W0 (ablation)");
  b.add("metrics_every", &RuleOptions::metrics_every).at_least(0)
      .describe("steps between alignment-angle records in alignment.csv; 0: off");
  if (!traits.trainable_feedback) return b;
  b.add("alignment_rate", RuleField<double>([](RuleOptions& o) -> double& { return o.feedback.alignment_rate; }))
      .at_least(0)
      .describe("weight of the summed layer losses");
  b.add("use_bias_forward", RuleField<bool>([](RuleOptions& o) -> bool& { return o.layer.regularizer.use_bias_forward; }))
      .describe("R_f includes the layer's bias");
  b.add("use_bias_backward", RuleField<bool>([](RuleOptions& o) -> bool& { return o.layer.regularizer.use_bias_backward; }))
      .describe("P includes the layer's bias");
  b.add("feedback_optimizer", RuleField<std::string>([](RuleOptions& o) -> std::string& { return o.feedback.optimizer; }))
      .one_of({"same", "sgd", "adam"})
      .describe("optimizer of B; same: W's type and settings, without W's weight decay");
  b.add("feedback_lr", RuleField<double>([](RuleOptions& o) -> double& { return o.feedback.lr; }))
      .at_least(0)
      .describe("learning rate of B; 0: W's");
  return b;
}

void add_alignment(Registry<RuleSpec>& reg, const char* name, const char* help, RuleTraits traits,
                   const Coefficients& coefficients, const FeedbackTraining& feedback = {}) {
  reg.add_typed(name, help, RuleSpec{traits, alignment_options(traits, coefficients, feedback)});
}

// B trained by its own Adam at 1e-3 (the default of the separate alignment optimiser
// in Kunin et al.'s code, learning-rules.md §5.7) instead of the spec's assumption of
// W's optimiser and step size. Pilots (README "Learning rules"): on
// KNet/Fashion-MNIST with W's SGD at 0.05, B diverges within 10-50 steps under IA (the
// null term's curvature ~|R_f|^2 grows with the batch-normalised conv1 kernel), AA (the
// sparse term's curvature ~ the input second moment summed over all pixels) and WM
// (its fixed point (beta/2alpha) W Sigma is huge for convolutions). Adam's step is
// invariant to that curvature's scale. SA and KP train on W's step size and keep it:
// KP's decay must match W's L2 under W's optimiser for W - B to shrink (§6).
const FeedbackTraining kFeedbackByAdam{"adam", 1e-3, 1.0};
using RC = RegularizerCoefficients;

void add_rules(Registry<RuleSpec>& reg) {
  reg.add_typed("sgdm", "backpropagation; W by SGD with momentum", RuleSpec{{"sgd", {"sgd"}}, {}});
  reg.add_typed("adam", "backpropagation; W by Adam", RuleSpec{{"adam", {"adam"}}, {}});
  add_alignment(reg, "fa", "feedback alignment: errors sent down through a fixed random B", alignment_traits(false), {});
  add_alignment(reg, "ia", "information alignment: B trained by alpha*amp + beta*null + gamma*decay",
                alignment_traits(true),
                {{"alpha", 2e-3, &RC::amp, "amp"}, {"beta", 1e-3, &RC::null, "null"}, {"gamma", 1e-3, &RC::decay, "decay"}},
                kFeedbackByAdam);
  add_alignment(reg, "sa", "symmetric alignment: B trained by alpha*decay + beta*self", alignment_traits(true),
                {{"alpha", 1e-3, &RC::decay, "decay"}, {"beta", 2e-3, &RC::self, "self"}});
  add_alignment(reg, "aa", "activation alignment: B trained by alpha*sparse + beta*amp", alignment_traits(true),
                {{"alpha", 1e-3, &RC::sparse, "sparse"}, {"beta", 2e-3, &RC::amp, "amp"}}, kFeedbackByAdam);
  add_alignment(reg, "wm", "weight mirror: B trained by alpha*decay + beta*amp", alignment_traits(true),
                {{"alpha", 1e-3, &RC::decay, "decay"}, {"beta", 1e-3, &RC::amp, "amp"}}, kFeedbackByAdam);
  add_alignment(reg, "kp", "Kolen-Pollack: B receives W's gradient plus alpha*decay", alignment_traits(true, true),
                {{"alpha", 1e-3, &RC::decay, "decay"}});
}

}  // namespace

const Registry<RuleSpec>& rule_registry() {
  static const Registry<RuleSpec> r = [] {
    Registry<RuleSpec> reg("rule");
    add_rules(reg);
    reg.add_alias("feedback", "fa");
    reg.add_alias("information", "ia");
    return reg;
  }();
  return r;
}

const RuleTraits& rule_traits(const std::string& rule) { return rule_registry().at(rule).factory.traits; }

RuleOptions rule_options(const std::string& rule, const Params& params) {
  return rule_registry().at(rule).factory.options.parse(params);
}

LayerRule layer_rule(const std::string& rule, const Params& params) { return rule_options(rule, params).layer; }

int rule_order(const std::string& label) {
  static const std::vector<std::string> order = {"adam", "sgdm", "ia", "fa", "sa", "aa", "wm", "kp"};
  const auto it = std::find(order.begin(), order.end(), canonical_rule(label));
  return it == order.end() ? -1 : static_cast<int>(it - order.begin());
}

std::string canonical_rule(const std::string& label) {
  return rule_registry().known(label) ? rule_registry().canonical(label, "rule") : label;
}

bool feedback_decay_by_optimizer(const RuleOptions& rule) {
  const RegularizerCoefficients& c = rule.layer.regularizer;
  return rule.layer.trainable_feedback && c.decay != 0 && c.amp == 0 && c.null == 0 && c.sparse == 0 &&
         c.self == 0;
}

double feedback_weight_decay(const RuleOptions& rule) {
  return feedback_decay_by_optimizer(rule) ? rule.feedback.alignment_rate * 2 * rule.layer.regularizer.decay : 0.0;
}

}  // namespace lrid

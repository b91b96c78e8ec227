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

// Parameters shared by every alignment rule.
Schema feedback_schema(Schema extra, bool trainable) {
  Schema s = std::move(extra);
  s.push_back(string_param("feedback_init", "independent").one_of({"independent", "copy_forward"})
                  .describe("B drawn independently with W's initialiser, or B0 = W0 (ablation)"));
  s.push_back(int_param("metrics_every", 0).at_least(0)
                  .describe("steps between alignment-angle records in alignment.csv; 0: off"));
  if (trainable) {
    s.push_back(real_param("alignment_rate", 1.0).at_least(0).describe("weight of the summed layer losses"));
    s.push_back(bool_param("use_bias_forward", true).describe("R_f includes the layer's bias"));
    s.push_back(bool_param("use_bias_backward", true).describe("P includes the layer's bias"));
    s.push_back(string_param("feedback_optimizer", "same").one_of({"same", "sgd", "adam"})
                    .describe("optimizer of B; same: W's type and settings, no weight decay"));
    s.push_back(real_param("feedback_lr", 0.0).at_least(0).describe("learning rate of B; 0: W's"));
  }
  return s;
}

// One coefficient of B's layer-local loss: its parameter, default, and the primitive it weighs.
struct Coefficient {
  const char* name;
  double default_value;
  double RegularizerCoefficients::*primitive;
  const char* primitive_name;
};
using Coefficients = std::vector<Coefficient>;

// The settings every alignment rule shares, and B's loss from the rule's coefficients.
RuleOptions alignment(const Params& p, const RuleTraits& traits, const Coefficients& coefficients) {
  RuleOptions o;
  o.layer.feedback = true;
  o.layer.trainable_feedback = traits.trainable_feedback;
  o.layer.tie_grad = traits.feedback_gets_w_gradient;
  o.layer.feedback_init = p.get_string("feedback_init");
  o.metrics_every = p.get_int("metrics_every");
  if (traits.trainable_feedback) {
    o.layer.regularizer.use_bias_forward = p.get_bool("use_bias_forward");
    o.layer.regularizer.use_bias_backward = p.get_bool("use_bias_backward");
    o.feedback.optimizer = p.get_string("feedback_optimizer");
    o.feedback.lr = p.get_real("feedback_lr");
    o.feedback.alignment_rate = p.get_real("alignment_rate");
    for (const auto& c : coefficients) o.layer.regularizer.*c.primitive = p.get_real(c.name);
  }
  return o;
}

void add_alignment(Registry<RuleSpec>& reg, const char* name, const char* help, RuleTraits traits,
                   Coefficients coefficients) {
  Schema schema;
  for (const auto& c : coefficients)
    schema.push_back(real_param(c.name, c.default_value).at_least(0).describe(c.primitive_name));
  reg.add(name, help, feedback_schema(std::move(schema), traits.trainable_feedback),
          RuleSpec{traits, [traits, coefficients](const Params& p) { return alignment(p, traits, coefficients); }});
}

using RC = RegularizerCoefficients;

void add_rules(Registry<RuleSpec>& reg) {
  auto backprop = [](const Params&) { return RuleOptions{}; };
  reg.add("sgdm", "backpropagation; W by SGD with momentum", {}, RuleSpec{{"sgd", {"sgd"}}, backprop});
  reg.add("adam", "backpropagation; W by Adam", {}, RuleSpec{{"adam", {"adam"}}, backprop});
  add_alignment(reg, "fa", "feedback alignment: errors sent down through a fixed random B", alignment_traits(false), {});
  add_alignment(reg, "ia", "information alignment: B trained by alpha*amp + beta*null + gamma*decay",
                alignment_traits(true),
                {{"alpha", 2e-3, &RC::amp, "amp"}, {"beta", 1e-3, &RC::null, "null"}, {"gamma", 1e-3, &RC::decay, "decay"}});
  add_alignment(reg, "sa", "symmetric alignment: B trained by alpha*decay + beta*self", alignment_traits(true),
                {{"alpha", 1e-3, &RC::decay, "decay"}, {"beta", 2e-3, &RC::self, "self"}});
  add_alignment(reg, "aa", "activation alignment: B trained by alpha*sparse + beta*amp", alignment_traits(true),
                {{"alpha", 1e-3, &RC::sparse, "sparse"}, {"beta", 2e-3, &RC::amp, "amp"}});
  add_alignment(reg, "wm", "weight mirror: B trained by alpha*decay + beta*amp", alignment_traits(true),
                {{"alpha", 1e-3, &RC::decay, "decay"}, {"beta", 1e-3, &RC::amp, "amp"}});
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
  return rule_registry().at(rule).factory.options(params);
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

}  // namespace lrid

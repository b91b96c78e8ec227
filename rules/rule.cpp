// The registry of learning rules, their parameters and defaults
// (learning-rules.md §2, §5.4, §6; defaults of neuroailab/Neural-Alignment).
#include "rules/rule.h"

namespace lrid {
namespace {

LayerRule backprop(const Params&) { return {}; }

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

LayerRule alignment(const Params& p, bool trainable) {
  LayerRule r;
  r.feedback = true;
  r.trainable_feedback = trainable;
  r.feedback_init = p.get_string("feedback_init");
  if (trainable) {
    r.regularizer.use_bias_forward = p.get_bool("use_bias_forward");
    r.regularizer.use_bias_backward = p.get_bool("use_bias_backward");
  }
  return r;
}

LayerRule fa(const Params& p) { return alignment(p, false); }
LayerRule ia(const Params& p) {  // alpha*amp + beta*null + gamma*decay
  LayerRule r = alignment(p, true);
  r.regularizer.amp = p.get_real("alpha");
  r.regularizer.null = p.get_real("beta");
  r.regularizer.decay = p.get_real("gamma");
  return r;
}
LayerRule sa(const Params& p) {  // alpha*decay + beta*self
  LayerRule r = alignment(p, true);
  r.regularizer.decay = p.get_real("alpha");
  r.regularizer.self = p.get_real("beta");
  return r;
}
LayerRule aa(const Params& p) {  // alpha*sparse + beta*amp
  LayerRule r = alignment(p, true);
  r.regularizer.sparse = p.get_real("alpha");
  r.regularizer.amp = p.get_real("beta");
  return r;
}
LayerRule wm(const Params& p) {  // alpha*decay + beta*amp
  LayerRule r = alignment(p, true);
  r.regularizer.decay = p.get_real("alpha");
  r.regularizer.amp = p.get_real("beta");
  return r;
}
LayerRule kp(const Params& p) {  // alpha*decay, with W's gradient tied to B
  LayerRule r = alignment(p, true);
  r.regularizer.decay = p.get_real("alpha");
  r.tie_grad = true;
  return r;
}

ParamSpec coef(const char* name, double def, const char* what) {
  return real_param(name, def).at_least(0).describe(what);
}

}  // namespace

const Registry<RuleFactory>& rule_registry() {
  static const Registry<RuleFactory> r = [] {
    Registry<RuleFactory> reg("rule");
    reg.add("sgdm", "backpropagation; W by SGD with momentum", {}, &backprop);
    reg.add("adam", "backpropagation; W by Adam", {}, &backprop);
    reg.add("fa", "feedback alignment: errors sent down through a fixed random B", feedback_schema({}, false), &fa);
    reg.add("ia", "information alignment: B trained by alpha*amp + beta*null + gamma*decay",
            feedback_schema({coef("alpha", 2e-3, "amp"), coef("beta", 1e-3, "null"), coef("gamma", 1e-3, "decay")}, true),
            &ia);
    reg.add("sa", "symmetric alignment: B trained by alpha*decay + beta*self",
            feedback_schema({coef("alpha", 1e-3, "decay"), coef("beta", 2e-3, "self")}, true), &sa);
    reg.add("aa", "activation alignment: B trained by alpha*sparse + beta*amp",
            feedback_schema({coef("alpha", 1e-3, "sparse"), coef("beta", 2e-3, "amp")}, true), &aa);
    reg.add("wm", "weight mirror: B trained by alpha*decay + beta*amp",
            feedback_schema({coef("alpha", 1e-3, "decay"), coef("beta", 1e-3, "amp")}, true), &wm);
    reg.add("kp", "Kolen-Pollack: B receives W's gradient plus alpha*decay",
            feedback_schema({coef("alpha", 1e-3, "decay")}, true), &kp);
    reg.add_alias("feedback", "fa");
    reg.add_alias("information", "ia");
    return reg;
  }();
  return r;
}

RuleTraits rule_traits(const std::string& rule) {
  const std::string name = rule_registry().canonical(rule, "rule.type");
  if (name == "sgdm") return {"sgd", {"sgd"}, false, false};
  if (name == "adam") return {"adam", {"adam"}, false, false};
  // [assumption] W under the alignment rules uses SGD with momentum, as sgdm (§2); Adam is allowed.
  return {"sgd", {"sgd", "adam"}, true, name != "fa"};
}

LayerRule layer_rule(const std::string& rule, const Params& params) {
  return rule_registry().at(rule).factory(params);
}

FeedbackTraining feedback_training(const std::string& rule, const Params& p) {
  FeedbackTraining t;
  if (!rule_traits(rule).trainable_feedback) return t;
  t.optimizer = p.get_string("feedback_optimizer");
  t.lr = p.get_real("feedback_lr");
  t.alignment_rate = p.get_real("alignment_rate");
  return t;
}

int64_t alignment_metrics_every(const std::string& rule, const Params& p) {
  return rule_traits(rule).feedback ? p.get_int("metrics_every") : 0;
}

}  // namespace lrid

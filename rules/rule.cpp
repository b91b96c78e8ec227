// The registry of learning rules. See rule.h.
#include "rules/rule.h"

namespace lrid {
namespace {

RuleTraits sgdm_traits() { return {CreditAssignment::kBackprop, "sgd", {"sgd"}}; }
RuleTraits adam_traits() { return {CreditAssignment::kBackprop, "adam", {"adam"}}; }

}  // namespace

const Registry<RuleFactory>& rule_registry() {
  static const Registry<RuleFactory> r = [] {
    Registry<RuleFactory> reg("rule");
    reg.add("sgdm", "backpropagation with SGD and momentum", {}, &sgdm_traits);
    reg.add("adam", "backpropagation with Adam", {}, &adam_traits);
    return reg;
  }();
  return r;
}

RuleTraits rule_traits(const std::string& rule) {
  return rule_registry().at(rule).factory();
}

}  // namespace lrid

// A learning rule = a credit-assignment scheme x the optimizer that updates W.
// Rule names in configs and datasets: sgdm, adam (backprop). The alignment
// rules (fa, ia, sa, aa, wm, kp) register here as well.
#pragma once
#include <string>
#include <vector>

#include "core/registry.h"

namespace lrid {

enum class CreditAssignment { kBackprop };

struct RuleTraits {
  CreditAssignment credit = CreditAssignment::kBackprop;
  std::string default_optimizer;        // optimizer type when the config gives none
  std::vector<std::string> optimizers;  // optimizer types the rule admits
};

using RuleFactory = RuleTraits (*)();

const Registry<RuleFactory>& rule_registry();
// Traits of a canonical rule name (after alias resolution).
RuleTraits rule_traits(const std::string& rule);

}  // namespace lrid

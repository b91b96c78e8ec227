// Per-layer credit-assignment settings, derived from the configured learning
// rule and applied by LayerFactory to every Conv2d and Linear of a model.
#pragma once
#include <string>

#include "rules/alignment_loss.h"

namespace lrid {

struct LayerRule {
  bool feedback = false;            // alignment op: the error goes down through B
  bool trainable_feedback = false;  // B requires grad (IA, SA, AA, WM, KP)
  bool tie_grad = false;            // KP: B also receives W's task gradient
  std::string feedback_init = "independent";  // or "copy_forward" (ablation, §4.1)
  RegularizerCoefficients regularizer;        // B's layer-local loss (zero for FA)
};

}  // namespace lrid

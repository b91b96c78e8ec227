// Verdict rules. See verdicts.h.
#include "experiments/verdicts.h"

#include <cmath>

namespace lrid::verdicts {

std::string share_verdict(int held, int parts) {
  return parts > 0 && held == parts ? "agrees" : held > 0 ? "partly" : "disagrees";
}

namespace {
double two_sem(double sem) { return 2 * (std::isfinite(sem) ? sem : 0.0); }
}  // namespace

bool well_above_chance(double mean, double sem, double chance) {
  return mean - chance >= kWellAboveChance && mean - two_sem(sem) > chance;
}

bool generalises(double held_out, double sem, double in_distribution, double chance) {
  const double margin = in_distribution - chance;
  return well_above_chance(held_out, sem, chance) && margin > 0 && held_out - chance >= kGeneralisesShare * margin;
}

double kept_share(double value, double reference) {
  if (!std::isfinite(value) || !std::isfinite(reference) || reference <= 0) return NAN;
  return value / reference;
}

}  // namespace lrid::verdicts

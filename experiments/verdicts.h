// The verdict rules of the experiments' findings, as pure functions of the
// measured numbers, with every threshold named here so that the manifests and
// the report can print it beside the verdict. A finding with several parts
// (e.g. "best AND rarely confuses") tests each; share_verdict counts them.
// Internal to experiments/.
#pragma once
#include <string>

namespace lrid::verdicts {

// "Well above chance": accuracy - chance >= kWellAboveChance and more than 2 s.e.m. above chance.
constexpr double kWellAboveChance = 0.15;
// "Rarely confuses": no rule's row of the row-normalised confusion matrix gives more than this to one other rule.
constexpr double kRareConfusion = 0.10;
// "Generalises": a held-out value keeps at least this share of the in-distribution margin over chance
// (accuracy - chance), and is well above chance itself.
constexpr double kGeneralisesShare = 0.75;
// "Drops markedly": accuracy falls by more than this from the smallest to the largest noise.
constexpr double kMarkedDrop = 0.10;
// "Stays high": keeps at least this share of its accuracy without noise.
constexpr double kStaysHigh = 0.90;

// "agrees" when all `parts` hold, "partly" when some do, else "disagrees".
std::string share_verdict(int held, int parts);
bool well_above_chance(double mean, double sem, double chance);
bool generalises(double held_out, double sem, double in_distribution, double chance);
// The share of `reference` that `value` keeps (NaN when reference <= 0 or either is not finite).
double kept_share(double value, double reference);

}  // namespace lrid::verdicts

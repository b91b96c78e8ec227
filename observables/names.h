// Observable names (science.md §3.7): `{measure}{function}_{statistic}`, the
// 45 in canonical storage order and the 24 admissible ones in feature order.
#pragma once
#include <string>
#include <vector>

namespace lrid {

enum class Measure { kWeight = 0, kAct = 1, kGradavg = 2 };
// Canonical orders: functions abs, raw, sq; statistics kurtosis, mean, median,
// norm, skew, thirdquartile, var (the statistic order of `row_statistics`).
enum class Function { kAbs = 0, kRaw = 1, kSq = 2 };
enum class Statistic { kKurtosis = 0, kMean, kMedian, kNorm, kSkew, kThirdQuartile, kVar };

constexpr int kNumFunctions = 3;
constexpr int kNumStatistics = 7;
constexpr int kNumObservables = 45;  // 21 weight + 21 act + 3 gradavg

const char* measure_name(Measure m);
const char* function_name(Function f);
const char* statistic_name(Statistic s);
// Throws ConfigError naming `what` for an unknown name.
Measure parse_measure(const std::string& name, const std::string& what);

// All 45 observables in canonical order (weight, act, gradavg blocks).
const std::vector<std::string>& all_observables();
// The observables of one measure, in canonical order (21, 21 or 3 names).
std::vector<std::string> measure_observables(Measure m);
// The 24 admissible observables (13 weight, 8 act, 3 grad), in feature order.
const std::vector<std::string>& admissible_observables();
// A named selection: "all" (24 admissible), "all45", "weight", "act", "grad";
// for weight/act/grad the admissible ones of that measure.
std::vector<std::string> observable_set(const std::string& name);
// Position of a name in all_observables(), or -1.
int observable_index(const std::string& name);

}  // namespace lrid

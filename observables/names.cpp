// Observable names. See names.h.
#include "observables/names.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/errors.h"

namespace lrid {

const char* measure_name(Measure m) {
  switch (m) {
    case Measure::kWeight: return "weight";
    case Measure::kAct: return "act";
    case Measure::kGradavg: return "gradavg";
  }
  return "?";
}

const char* function_name(Function f) {
  static const char* names[] = {"abs", "raw", "sq"};
  return names[static_cast<int>(f)];
}

const char* statistic_name(Statistic s) {
  static const char* names[] = {"kurtosis", "mean", "median", "norm", "skew", "thirdquartile", "var"};
  return names[static_cast<int>(s)];
}

Measure parse_measure(const std::string& name, const std::string& what) {
  if (name == "weight") return Measure::kWeight;
  if (name == "act") return Measure::kAct;
  if (name == "gradavg" || name == "grad") return Measure::kGradavg;
  throw ConfigError(fmt::format("{}: unknown measure '{}' (weight, act, gradavg)", what, name));
}

std::vector<std::string> measure_observables(Measure m) {
  std::vector<std::string> out;
  for (int f = 0; f < kNumFunctions; ++f) {
    if (m == Measure::kGradavg) {
      out.push_back(fmt::format("gradavg{}_id", function_name(static_cast<Function>(f))));
      continue;
    }
    for (int s = 0; s < kNumStatistics; ++s)
      out.push_back(fmt::format("{}{}_{}", measure_name(m), function_name(static_cast<Function>(f)),
                                statistic_name(static_cast<Statistic>(s))));
  }
  return out;
}

const std::vector<std::string>& all_observables() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> v;
    for (Measure m : {Measure::kWeight, Measure::kAct, Measure::kGradavg}) {
      auto part = measure_observables(m);
      v.insert(v.end(), part.begin(), part.end());
    }
    return v;
  }();
  return all;
}

const std::vector<std::string>& admissible_observables() {
  static const std::vector<std::string> v = {
      "weightabs_mean", "weightabs_median", "weightabs_norm", "weightabs_thirdquartile", "weightabs_var",
      "weightraw_mean", "weightraw_median", "weightraw_norm", "weightraw_thirdquartile", "weightraw_var",
      "weightsq_mean",  "weightsq_median",  "weightsq_thirdquartile",
      "actabs_mean",    "actabs_median",    "actabs_norm",    "actabs_thirdquartile",
      "actraw_mean",    "actraw_median",    "actraw_norm",    "actraw_thirdquartile",
      "gradavgabs_id",  "gradavgraw_id",    "gradavgsq_id"};
  return v;
}

std::vector<std::string> observable_set(const std::string& name) {
  const auto& adm = admissible_observables();
  if (name == "all") return adm;
  if (name == "all45") return all_observables();
  std::string prefix = name == "grad" ? "gradavg" : name;
  if (prefix != "weight" && prefix != "act" && prefix != "gradavg")
    throw ConfigError(fmt::format("unknown observable set '{}' (all, all45, weight, act, grad)", name));
  std::vector<std::string> out;
  for (const auto& o : adm)
    if (o.rfind(prefix, 0) == 0) out.push_back(o);
  return out;
}

int observable_index(const std::string& name) {
  const auto& all = all_observables();
  auto it = std::find(all.begin(), all.end(), name);
  return it == all.end() ? -1 : static_cast<int>(it - all.begin());
}

}  // namespace lrid

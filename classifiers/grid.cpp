// Classifier grids. See grid.h.
#include "classifiers/grid.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/errors.h"

namespace lrid {
namespace {

using Axes = std::vector<std::pair<std::string, std::vector<std::string>>>;

std::vector<GridConfig> product(const Axes& axes) {
  std::vector<GridConfig> out{{}};
  for (const auto& [key, values] : axes) {
    std::vector<GridConfig> next;
    for (const auto& c : out)
      for (const auto& v : values) {
        GridConfig d = c;
        d.emplace_back(key, v);
        next.push_back(d);
      }
    out = next;
  }
  return out;
}

void apply_overrides(Axes& axes, const std::map<std::string, std::vector<std::string>>& overrides,
                     const std::string& classifier) {
  for (const auto& [key, values] : overrides) {
    auto it = std::find_if(axes.begin(), axes.end(), [&](const auto& a) { return a.first == key; });
    if (it == axes.end()) {
      std::vector<std::string> keys;
      for (const auto& a : axes) keys.push_back(a.first);
      throw ConfigError(fmt::format("--set {}: not a hyperparameter of {} ({})", key, classifier, fmt::join(keys, ", ")));
    }
    if (values.empty()) throw ConfigError(fmt::format("--set {}: no values", key));
    it->second = values;
  }
}

}  // namespace

std::vector<GridConfig> classifier_grid(const std::string& classifier, const std::string& grid, int64_t t,
                                        const std::map<std::string, std::vector<std::string>>& overrides) {
  if (grid != "paper" && grid != "fast")
    throw ConfigError(fmt::format("--grid '{}': expected paper or fast", grid));
  const bool paper = grid == "paper";
  if (classifier == "rf") {
    Axes axes = {{"max_features", paper ? std::vector<std::string>{"sqrt", "log2", "all"} : std::vector<std::string>{"sqrt"}},
                 {"n_estimators", paper ? std::vector<std::string>{"20", "50", "100", "500", "1000"}
                                        : std::vector<std::string>{"100"}}};
    apply_overrides(axes, overrides, classifier);
    return product(axes);
  }
  if (classifier == "svm") {
    std::vector<std::string> cs = paper ? std::vector<std::string>{"1", "50", "500", "5000", "50000", "500000", "5000000"}
                                        : std::vector<std::string>{"1", "50", "5000"};
    std::vector<std::string> pcas = paper ? std::vector<std::string>{"10", "20", "30", "40", "50", "100", "200", "300",
                                                                     "400", "500", "600"}
                                          : std::vector<std::string>{"20"};
    Axes plain = {{"pca", {"none"}}, {"C", cs}};
    Axes with = {{"pca", pcas}, {"C", paper ? cs : std::vector<std::string>{"1"}}};
    auto o = overrides;
    if (o.count("pca")) {
      // An explicit pca axis replaces both pipelines' component lists ("none" allowed).
      std::vector<std::string> none, nums;
      for (const auto& v : o["pca"]) (v == "none" ? none : nums).push_back(v);
      o.erase("pca");
      apply_overrides(plain, o, classifier);
      apply_overrides(with, o, classifier);
      std::vector<GridConfig> out;
      if (!none.empty()) out = product(plain);
      if (!nums.empty()) {
        with[0].second = nums;
        auto w = product(with);
        out.insert(out.end(), w.begin(), w.end());
      }
      return out;
    }
    apply_overrides(plain, o, classifier);
    apply_overrides(with, o, classifier);
    auto out = product(plain), w = product(with);
    out.insert(out.end(), w.begin(), w.end());
    return out;
  }
  if (classifier == "conv1d") {
    std::vector<std::string> kernels;
    for (double f : paper ? std::vector<double>{0.003, 0.007, 0.05, 0.25, 0.5, 1.0} : std::vector<double>{0.25, 1.0}) {
      const std::string k = std::to_string(static_cast<int64_t>(std::ceil(f * static_cast<double>(t) - 1e-9)));
      if (std::find(kernels.begin(), kernels.end(), k) == kernels.end()) kernels.push_back(k);
    }
    Axes axes = {{"lr", paper ? std::vector<std::string>{"0.001", "0.0001"} : std::vector<std::string>{"0.001"}},
                 {"kernel", kernels},
                 {"stride", paper ? std::vector<std::string>{"1", "2", "4"} : std::vector<std::string>{"1"}},
                 {"filters", paper ? std::vector<std::string>{"20", "40"} : std::vector<std::string>{"20"}},
                 {"batch_size", paper ? std::vector<std::string>{"512", "1024"} : std::vector<std::string>{"512"}},
                 {"pooling", paper ? std::vector<std::string>{"none", "max", "avg"} : std::vector<std::string>{"max"}},
                 {"weight_decay", paper ? std::vector<std::string>{"0.0001", "0"} : std::vector<std::string>{"0"}},
                 {"epochs", paper ? std::vector<std::string>{"400"} : std::vector<std::string>{"100"}}};
    apply_overrides(axes, overrides, classifier);
    return product(axes);
  }
  throw ConfigError(fmt::format("--classifier '{}': expected rf, svm or conv1d", classifier));
}

std::string config_text(const GridConfig& c) {
  std::string s;
  for (const auto& [k, v] : c) s += (s.empty() ? "" : ", ") + k + "=" + v;
  return s;
}

std::string config_value(const GridConfig& c, const std::string& key, const std::string& def) {
  for (const auto& [k, v] : c)
    if (k == key) return v;
  return def;
}

}  // namespace lrid

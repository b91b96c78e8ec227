// The common experiment options. See options.h.
#include "experiments/options.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <sstream>

#include "classifiers/grid.h"
#include "core/errors.h"
#include "rules/rule.h"

namespace lrid {
namespace {

// Whether `classifier`'s grid has the axis `key` (its fast grid's first configuration names every axis).
bool has_axis(const std::string& classifier, const std::string& key) {
  const GridConfig first = classifier_grid(classifier, "fast", 21).front();
  return std::any_of(first.begin(), first.end(), [&](const auto& kv) { return kv.first == key; });
}

// set=KEY=V1,V2 (repeatable; a later KEY replaces an earlier one) -> KEY -> {V1, V2}.
GridOverrides parse_set(const std::vector<std::string>& entries) {
  GridOverrides out;
  const auto classifiers = classifier_registry().names();
  for (const auto& s : entries) {
    auto [key, values] = parse_grid_override(s, "set");
    if (std::none_of(classifiers.begin(), classifiers.end(), [&](const std::string& c) { return has_axis(c, key); }))
      throw ConfigError(fmt::format("set: '{}' is not a hyperparameter of {}", key, fmt::join(classifiers, ", ")));
    out[key] = std::move(values);
  }
  return out;
}

// The rules' original labels (feedback, information) as the dataset's names (fa, ia), by the rule registry.
std::vector<std::string> canonical_rules(std::vector<std::string> rules) {
  for (auto& r : rules) r = canonical_rule(r);
  return rules;
}

void declare_common(OptionsBinding<CommonOptions>& b) {
  b.add("splits", &CommonOptions::splits).at_least(1).describe("outer train/test splits of each protocol run");
  b.add("seed", &CommonOptions::seed).at_least(0).describe("seed of the splits, subsets and classifiers");
  b.add("grid", &CommonOptions::grid).one_of({"paper", "fast"}).describe("classifier hyperparameter grid");
  b.add("group_by", &CommonOptions::group_by)
      .one_of({"seed", "run", "row"})
      .describe("what a train/test split keeps whole: seed (runs sharing model and data seed), run, or row "
                "(the paper's protocol; it leaks between seed-matched runs)");
  b.add_converted<std::vector<std::string>, GridOverrides>("set", &CommonOptions::set, {}, parse_set)
      .describe("grid axis override, repeatable: set=KEY=V1,V2 (e.g. set=n_estimators=100)");
  b.add("jobs", &CommonOptions::jobs).at_least(0).describe("random-forest threads (0: all cores)");
  b.add("drop_nonfinite", &CommonOptions::drop_nonfinite)
      .describe("drop rows with non-finite selected values (counted)");
  b.add("condition", &CommonOptions::condition).describe("rows of this recorded measurement condition ('': every row)");
  b.add_converted<std::vector<std::string>, std::vector<std::string>>("rules", &CommonOptions::rules, {}, canonical_rules)
      .describe("only rows of these rules (e.g. the paper's four: [adam,sgdm,ia,fa]); []: all");
  b.add("where", &CommonOptions::where)
      .describe("only rows whose meta column KEY equals VALUE, e.g. [architecture=knet, batch_size=64]; []: all");
  b.add("measures", &CommonOptions::measures)
      .describe("observable sets: all (24), weight (13), act (8), grad (3), or comma-separated names");
}

}  // namespace

const OptionsBinding<CommonOptions>& common_binding() { return bound_once<CommonOptions, declare_common>(); }

Schema common_schema() { return common_binding().schema(); }

CommonOptions common_options(const Params& p) { return common_binding().parse(p); }

ProtocolOptions protocol_options(const CommonOptions& c, const std::string& classifier, const std::string& observables) {
  ProtocolOptions o;
  o.classifier = classifier;
  o.observables = observables;
  o.grid = c.grid;
  o.group_by = c.group_by;
  o.splits = c.splits;
  o.seed = c.seed;
  o.n_jobs = c.jobs;
  o.drop_nonfinite = c.drop_nonfinite;
  o.progress = false;
  // A set= key applies to every classifier whose grid has that axis (n_estimators to the forest, C to the SVM, ...).
  for (const auto& [key, values] : c.set)
    if (has_axis(classifier, key)) o.set[key] = values;
  return o;
}

std::string pretty_measure(const std::string& o) {
  if (o == "all") return "all (24)";
  if (o == "weight") return "weights (13)";
  if (o == "act") return "activations (8)";
  if (o == "grad") return "activity change (3)";
  return o;
}

}  // namespace lrid

// The parameters every experiment shares (common_schema: splits, seed, grid,
// group_by, set, jobs, drop_nonfinite, condition, rules, measures) as typed options,
// parsed once from the validated Params, and the protocol options built from
// them for one classifier and one observable set.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "classifiers/protocol.h"
#include "classifiers/registry.h"
#include "core/options_binding.h"
#include "core/params.h"

namespace lrid {

struct CommonOptions {
  int64_t splits = 10;             // outer train/test splits of each protocol run
  uint64_t seed = 0;               // seed of the splits, subsets and classifiers
  std::string grid = "paper";      // classifier hyperparameter grid: paper | fast
  std::string group_by = "seed";   // what a split keeps whole (§6.9): seed | run | row
  GridOverrides set;               // set=KEY=V1,V2: axis -> values; every key is an axis of some classifier
  int64_t jobs = 0;                // random-forest threads (0: all cores)
  bool drop_nonfinite = false;     // drop rows with non-finite selected values (counted)
  std::string condition = "full";  // rows of this recorded measurement condition ('': every row)
  std::vector<std::string> rules;  // only rows of these rules, canonical names (feedback -> fa); empty: all
  std::vector<std::string> where;  // only rows whose meta column KEY equals VALUE, each KEY=VALUE; empty: all
  std::vector<std::string> measures = {"all", "weight", "act", "grad"};  // observable sets, in order
};

// The common parameters bound to CommonOptions; common_schema() and
// common_options() are its schema and its parse.
const OptionsBinding<CommonOptions>& common_binding();
Schema common_schema();
// The typed options of validated common parameters; ConfigError for a set= entry
// that is not KEY=V1,V2 or whose KEY no classifier's grid has.
CommonOptions common_options(const Params& p);
// Protocol options for one classifier and observable set: the common settings
// and the set= axes that this classifier's grid has; no progress display.
ProtocolOptions protocol_options(const CommonOptions& common, const std::string& classifier,
                                 const std::string& observables);
// all -> "all (24)", weight -> "weights (13)", act -> "activations (8)",
// grad -> "activity change (3)"; any other selection as it is.
std::string pretty_measure(const std::string& observables);

}  // namespace lrid

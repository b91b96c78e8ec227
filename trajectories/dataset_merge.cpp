// Merging trajectory datasets. See dataset_merge.h.
#include "trajectories/dataset_merge.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <map>
#include <set>
#include <sstream>

#include "core/errors.h"

namespace lrid {

namespace {

const char* kind_name(MetaColumn::Kind k) {
  return k == MetaColumn::Kind::kString ? "string" : k == MetaColumn::Kind::kInt ? "int64" : "float64";
}

// A time axis as fractions of its last point (itself when that is not positive).
torch::Tensor fractions(const torch::Tensor& epochs) {
  const double last = epochs.numel() > 0 ? epochs[-1].item<double>() : 0.0;
  return last > 0 ? epochs / last : epochs;
}

// Everything but the rows must agree with the first part.
void check_compatible(const TrajectoryDataset& first, const TrajectoryDataset& p, const std::string& first_name,
                      const std::string& name) {
  if (p.obs_keys != first.obs_keys)
    throw DataError(fmt::format("{}: obs_keys differ from {}'s ({} against {} observables, or another order)", name,
                                first_name, p.obs_keys.size(), first.obs_keys.size()));
  if (p.time_points() != first.time_points())
    throw DataError(fmt::format("{}: {} time points, {} has {}", name, p.time_points(), first_name,
                                first.time_points()));
  // Record points at the same fractions of training (to 0.1% of the run: record
  // steps are rounded to whole steps) agree, as `lrid dataset build` collates runs
  // of different lengths (the long sweep's batch 64 and 128 runs): the merged
  // axis is the first part's.
  if (!torch::allclose(p.time_epochs, first.time_epochs, 1e-9, 1e-12) &&
      !torch::allclose(fractions(p.time_epochs), fractions(first.time_epochs), 0.0, 1e-3))
    throw DataError(fmt::format("{}: time_epochs differ from {}'s, and not only in scale (its record points are not "
                                "at the same fractions of training)",
                                name, first_name));
  if (p.x_cat.size(2) != first.x_cat.size(2))
    throw DataError(fmt::format("{}: X_cat has {} categories, {} has {}", name, p.x_cat.size(2), first_name,
                                first.x_cat.size(2)));
  for (const auto& [col, c] : first.meta) {
    auto it = p.meta.find(col);
    if (it == p.meta.end()) throw DataError(fmt::format("{}: no meta column '{}' ({} has it)", name, col, first_name));
    if (it->second.kind != c.kind)
      throw DataError(fmt::format("{}: meta column '{}' is {}, in {} it is {}", name, col, kind_name(it->second.kind),
                                  first_name, kind_name(c.kind)));
  }
  for (const auto& kv : p.meta)
    if (!first.meta.count(kv.first))
      throw DataError(fmt::format("{}: meta column '{}' is not in {}", name, kv.first, first_name));
}

// Whitespace-separated words of every part's value, each once, in first-seen order.
std::string joined_words(const std::vector<TrajectoryDataset>& parts, const std::string& key) {
  std::vector<std::string> words;
  std::set<std::string> seen;
  for (const auto& p : parts) {
    auto it = p.attributes.find(key);
    if (it == p.attributes.end()) continue;
    std::istringstream in(it->second);
    for (std::string w; in >> w;)
      if (seen.insert(w).second) words.push_back(w);
  }
  return fmt::format("{}", fmt::join(words, " "));
}

std::map<std::string, std::string> merged_attributes(const std::vector<TrajectoryDataset>& parts,
                                                     const std::vector<std::string>& names) {
  std::map<std::string, std::string> out;
  // Kept where every part agrees.
  for (const auto& [k, v] : parts.front().attributes) {
    bool same = true;
    for (const auto& p : parts) {
      auto it = p.attributes.find(k);
      same = same && it != p.attributes.end() && it->second == v;
    }
    if (same) out[k] = v;
  }
  int64_t runs = 0;
  double wall = 0;
  std::vector<std::string> sources;
  for (const auto& p : parts) {
    if (auto it = p.attributes.find("runs"); it != p.attributes.end()) runs += std::stoll(it->second);
    if (auto it = p.attributes.find("run_wall_time_s_sum"); it != p.attributes.end()) wall += std::stod(it->second);
    if (auto it = p.attributes.find("sources"); it != p.attributes.end()) sources.push_back(it->second);
  }
  out["runs"] = std::to_string(runs);
  out["run_wall_time_s_sum"] = fmt::format("{:.1f}", wall);
  out["run_lrid_commits"] = joined_words(parts, "run_lrid_commits");
  out["run_devices"] = joined_words(parts, "run_devices");
  out["sources"] = fmt::format("{}", fmt::join(sources, "\n"));
  out["merged_from"] = fmt::format("{}", fmt::join(names, "\n"));
  return out;
}

}  // namespace

TrajectoryDataset merge_datasets(const std::vector<TrajectoryDataset>& parts, const std::vector<std::string>& names) {
  if (parts.empty()) throw DataError("merge: no datasets given");
  if (names.size() != parts.size()) throw DataError("merge: one name per dataset is needed");
  std::map<std::string, std::string> run_owner;  // run_id -> the part holding it
  for (std::size_t i = 0; i < parts.size(); ++i) {
    parts[i].validate(names[i]);
    if (i > 0) check_compatible(parts[0], parts[i], names[0], names[i]);
    auto it = parts[i].meta.find("run_id");
    if (it == parts[i].meta.end()) continue;
    std::set<std::string> mine(it->second.strings.begin(), it->second.strings.end());
    for (const auto& run : mine) {
      auto [pos, fresh] = run_owner.emplace(run, names[i]);
      if (!fresh)
        throw DataError(fmt::format("{}: run '{}' is also in {}; a run may be merged once", names[i], run, pos->second));
    }
  }
  TrajectoryDataset out;
  std::vector<torch::Tensor> xs, cats;
  for (const auto& p : parts) {
    xs.push_back(p.x);
    cats.push_back(p.x_cat);
    out.y.insert(out.y.end(), p.y.begin(), p.y.end());
  }
  out.x = torch::cat(xs);
  out.x_cat = torch::cat(cats);
  out.obs_keys = parts[0].obs_keys;
  out.time_epochs = parts[0].time_epochs;
  for (const auto& [col, c] : parts[0].meta) {
    MetaColumn m;
    m.kind = c.kind;
    for (const auto& p : parts) {
      const MetaColumn& s = p.meta.at(col);
      m.strings.insert(m.strings.end(), s.strings.begin(), s.strings.end());
      m.ints.insert(m.ints.end(), s.ints.begin(), s.ints.end());
      m.reals.insert(m.reals.end(), s.reals.begin(), s.reals.end());
    }
    out.meta[col] = std::move(m);
  }
  out.attributes = merged_attributes(parts, names);
  out.validate("merged dataset");
  return out;
}

}  // namespace lrid

// Search, fit and score of one protocol split. See model_selection.h.
#include "classifiers/model_selection.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "classifiers/registry.h"
#include "classifiers/grouped_splits.h"
#include "classifiers/splits.h"
#include "core/errors.h"
#include "core/seeding.h"

namespace lrid {
namespace {

std::vector<int64_t> int64_values(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kInt64).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

double accuracy_of(const torch::Tensor& predicted, const torch::Tensor& truth) {
  return predicted.eq(truth).to(torch::kFloat64).mean().item<double>();
}

// The training-row positions of each inner fold: (fit rows, validation rows) per fold.
std::vector<std::pair<torch::Tensor, torch::Tensor>> inner_folds(const SplitData& d, int64_t folds) {
  const std::vector<int64_t> labels = int64_values(d.y_train);
  const std::vector<int64_t> fold =
      d.group_by == GroupBy::kRow ? stratified_folds(labels, folds) : grouped_folds(labels, d.groups_train, folds);
  const int64_t used = fold.empty() ? 0 : *std::max_element(fold.begin(), fold.end()) + 1;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> out;
  for (int64_t f = 0; f < used; ++f) {
    std::vector<int64_t> fi, vi;
    for (std::size_t i = 0; i < fold.size(); ++i) (fold[i] == f ? vi : fi).push_back(static_cast<int64_t>(i));
    out.emplace_back(torch::tensor(fi, torch::kInt64), torch::tensor(vi, torch::kInt64));
  }
  return out;
}

// Mean validation accuracy of configuration c over the folds; NaN when its model throws ConfigError
// (then the remaining folds are not run).
double cross_validate(const SplitData& d, const ProtocolOptions& o, int64_t split, const ProtocolData& p,
                      const GridConfig& config, int64_t c,
                      const std::vector<std::pair<torch::Tensor, torch::Tensor>>& folds,
                      const std::function<void()>& tick) {
  double sum = 0;
  for (std::size_t f = 0; f < folds.size(); ++f) {
    const auto& [fit_rows, val_rows] = folds[f];
    try {
      const uint64_t seed = mix_seed(o.seed, static_cast<uint64_t>(split * 1000003 + c * 101 + static_cast<int64_t>(f)));
      auto m = make_trajectory_model(o.classifier, config, p.time_points, seed, o.n_jobs);
      m->fit(d.x_train.index_select(0, fit_rows), d.onehot_train.index_select(0, fit_rows),
             d.y_train.index_select(0, fit_rows), p.num_classes);
      sum += accuracy_of(m->predict(d.x_train.index_select(0, val_rows), d.onehot_train.index_select(0, val_rows)),
                         d.y_train.index_select(0, val_rows));
    } catch (const ConfigError&) {
      tick();
      return std::nan("");  // an invalid configuration for this data (§6.3): skipped
    }
    tick();
  }
  return sum / static_cast<double>(folds.size());
}

}  // namespace

SplitData split_data(const ProtocolData& p, const Split& split) {
  const torch::Tensor tr = torch::tensor(split.train, torch::kInt64), te = torch::tensor(split.test, torch::kInt64);
  SplitData d;
  d.norm.fit(p.continuous.index_select(0, tr));
  d.x_train = d.norm.apply(p.continuous.index_select(0, tr));
  d.x_test = d.norm.apply(p.continuous.index_select(0, te));
  d.onehot_train = p.onehot.index_select(0, tr);
  d.onehot_test = p.onehot.index_select(0, te);
  d.y_train = p.y.index_select(0, tr);
  d.y_test = p.y.index_select(0, te);
  d.group_by = p.group_by;
  if (p.group_by != GroupBy::kRow) {
    if (p.groups.size() != static_cast<std::size_t>(p.y.size(0)))
      throw DataError(fmt::format("{} group ids for {} rows", p.groups.size(), p.y.size(0)));
    for (int64_t r : split.train) d.groups_train.push_back(p.groups[static_cast<std::size_t>(r)]);
  }
  return d;
}

GridSearch search_grid(const SplitData& d, const ProtocolOptions& o, int64_t split, const ProtocolData& p,
                       std::vector<GridConfig>& grid, const std::function<void()>& tick) {
  // One configuration leaves nothing to choose: no inner folds, so a split with a single
  // training group (two seed groups) still runs; a configuration that cannot fit fails at the refit.
  if (grid.size() == 1) return GridSearch{0, {std::nan("")}};
  const auto folds = inner_folds(d, o.folds);
  const ClassifierSpec& spec = classifier_spec(o.classifier);
  while (true) {
    GridSearch g;
    double best_score = -1;
    for (int64_t c = 0; c < static_cast<int64_t>(grid.size()); ++c) {
      const double score = cross_validate(d, o, split, p, grid[static_cast<std::size_t>(c)], c, folds, tick);
      g.cv_scores.push_back(score);
      if (!std::isnan(score) && score > best_score) {
        best_score = score;
        g.best = c;
      }
    }
    if (best_score >= 0) return g;
    // No configuration fits this data: search the classifier's fallback grid instead.
    std::vector<GridConfig> fallback = spec.fallback ? spec.fallback(grid) : std::vector<GridConfig>{};
    if (fallback.empty()) throw ConfigError(fmt::format("no {} configuration of the grid fits this data", o.classifier));
    grid = std::move(fallback);
  }
}

std::unique_ptr<TrajectoryModel> fit_chosen(const SplitData& d, const ProtocolOptions& o, int64_t split,
                                            const ProtocolData& p, const GridConfig& config) {
  auto model = make_trajectory_model(o.classifier, config, p.time_points, mix_seed(o.seed, static_cast<uint64_t>(split)),
                                     o.n_jobs);
  model->fit(d.x_train, d.onehot_train, d.y_train, p.num_classes);
  return model;
}

void score_split(const TrajectoryModel& model, const SplitData& d, int64_t num_classes, SplitResult& res) {
  res.predictions = int64_values(model.predict(d.x_test, d.onehot_test));
  res.test_confusion = confusion_matrix(int64_values(d.y_test), res.predictions, num_classes);
  res.train_confusion =
      confusion_matrix(int64_values(d.y_train), int64_values(model.predict(d.x_train, d.onehot_train)), num_classes);
  res.test_accuracy = accuracy(res.test_confusion);
  res.tree_importances = model.tree_importances();
}

}  // namespace lrid

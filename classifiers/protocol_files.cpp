// The files of a protocol run (write_results, declared in protocol.h):
// results.json through core/json.h (non-finite numbers as null, tensors as flat
// lists), the tidy CSV tables through core/csv.h (non-finite numbers of
// metrics.csv and cv.csv spelled null), and the random forest's importances.
#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "classifiers/protocol.h"
#include "classifiers/run_vote.h"
#include "core/csv.h"
#include "core/files.h"
#include "core/json.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

Json json_reals(const std::vector<double>& v) {
  Json j = Json::array();
  for (double x : v) j.push_back(json_real_or_null(x));
  return j;
}

Json json_matrix(const Confusion& c) {
  Json j = Json::array();
  for (const auto& row : c) j.push_back(json_reals(row));
  return j;
}

Json json_config(const GridConfig& c) {
  Json j = Json::object();
  for (const auto& [k, v] : c) j[k] = v;
  return j;
}

// null, or the values as one flat list (row-major).
Json json_tensor(const torch::Tensor& t) {
  if (!t.defined()) return nullptr;
  const torch::Tensor c = t.to(torch::kFloat64).contiguous().view(-1);
  return json_reals(std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel()));
}

Json split_json(const SplitResult& x, std::size_t s) {
  Json j = Json::object();
  j["split"] = s;
  j["test_accuracy"] = json_real_or_null(x.test_accuracy);
  j["chosen"] = json_config(x.chosen);
  j["cv_scores"] = json_reals(x.cv_scores);
  j["balanced_accuracy"] = json_reals(balanced_accuracy(x.test_confusion));
  j["d_prime"] = json_reals(d_prime(x.test_confusion));
  j["test_confusion"] = json_matrix(x.test_confusion);
  j["train_confusion"] = json_matrix(x.train_confusion);
  j["train_rows"] = x.train;
  j["test_rows"] = x.test;
  j["predictions"] = x.predictions;
  j["norm_mean"] = json_tensor(x.norm_mean);
  j["norm_std"] = json_tensor(x.norm_std);
  return j;
}

Json results_json(const ProtocolResult& r, const TrajectoryDataset& data) {
  const auto& o = r.options;
  Json j = Json::object();
  j["classifier"] = o.classifier;
  j["observables"] = r.observables;
  j["observable_selection"] = o.observables;
  j["grid"] = o.grid;
  j["group_by"] = o.group_by;
  j["splits_requested"] = o.splits;
  j["folds"] = o.folds;
  j["seed"] = o.seed;
  j["stat_noise_var"] = json_real_or_null(o.stat_noise_var);
  j["time_points"] = o.time_points;
  j["classes"] = r.class_names;
  j["feature_names"] = r.feature_names;
  j["grid_configs"] = Json::array();
  for (const auto& c : r.grid) j["grid_configs"].push_back(json_config(c));
  j["dropped_nonfinite_rows"] = Json::object();
  for (const auto& [rule, count] : r.dropped_rows) j["dropped_nonfinite_rows"][rule] = count;
  j["accuracy_mean"] = json_real_or_null(r.accuracy_mean);
  j["accuracy_sem"] = json_real_or_null(r.accuracy_sem);
  j["mean_accuracy"] = json_real_or_null(r.mean_accuracy);
  j["mean_confusion"] = json_matrix(r.mean_confusion);
  j["balanced_accuracy"] = json_reals(r.balanced_accuracy);
  j["d_prime"] = json_reals(r.d_prime);
  j["feature_importance"] = json_tensor(r.feature_importance());
  j["wall_time_s"] = json_real_or_null(r.wall_time_s);
  j["dataset_rows"] = data.rows();
  if (has_run_ids(data)) {  // the rule of each test run from its layers' votes (run_vote.h)
    const RunVoteResult v = run_vote(r, data);
    j["run_vote"] = {{"accuracy_mean", json_real_or_null(v.accuracy_mean)},
                     {"accuracy_sem", json_real_or_null(v.accuracy_sem)},
                     {"accuracy", json_reals(v.accuracy)},
                     {"runs", v.runs}};
  }
  j["splits"] = Json::array();
  for (std::size_t s = 0; s < r.splits.size(); ++s) j["splits"].push_back(split_json(r.splits[s], s));
  return j;
}

// metrics.csv and cv.csv spell a non-finite value "null" (csv_number would leave the cell empty).
std::string number_or_null(double v) { return std::isfinite(v) ? csv_number(v) : "null"; }

// Rows of metrics.csv for one confusion matrix: accuracy, then per class balanced accuracy and d'.
void add_metric_rows(std::vector<CsvRow>& rows, const std::string& split, const Confusion& c,
                     const std::vector<std::string>& class_names) {
  rows.push_back({split, "accuracy", "", number_or_null(accuracy(c))});
  const auto ba = balanced_accuracy(c), dp = d_prime(c);
  for (std::size_t i = 0; i < class_names.size(); ++i) {
    rows.push_back({split, "balanced_accuracy", class_names[i], number_or_null(ba[i])});
    rows.push_back({split, "d_prime", class_names[i], number_or_null(dp[i])});
  }
}

void write_metrics_csv(const ProtocolResult& r, const fs::path& path) {
  std::vector<CsvRow> rows;
  for (std::size_t s = 0; s < r.splits.size(); ++s)
    add_metric_rows(rows, std::to_string(s), r.splits[s].test_confusion, r.class_names);
  add_metric_rows(rows, "mean", r.mean_confusion, r.class_names);
  rows.push_back({"mean", "accuracy_mean_over_splits", "", number_or_null(r.accuracy_mean)});
  rows.push_back({"mean", "accuracy_sem", "", number_or_null(r.accuracy_sem)});
  write_csv(path, {"split", "metric", "class", "value"}, rows);
}

// Each split's test confusion matrix, then the split-averaged one ("mean").
void write_confusion_csv(const ProtocolResult& r, const fs::path& path) {
  std::vector<CsvRow> rows;
  auto add = [&](const std::string& split, const Confusion& c) {
    for (std::size_t i = 0; i < c.size(); ++i)
      for (std::size_t j = 0; j < c.size(); ++j)
        rows.push_back({split, r.class_names[i], r.class_names[j], csv_number(c[i][j])});
  };
  for (std::size_t s = 0; s < r.splits.size(); ++s) add(std::to_string(s), r.splits[s].test_confusion);
  add("mean", r.mean_confusion);
  write_csv(path, {"split", "true", "predicted", "count"}, rows);
}

// Mean validation accuracy of every configuration of each split's search
// (the configuration's text always holds a comma, so csv_cell quotes it).
void write_cv_csv(const ProtocolResult& r, const fs::path& path) {
  std::vector<CsvRow> rows;
  for (std::size_t s = 0; s < r.splits.size(); ++s) {
    const auto& scores = r.splits[s].cv_scores;
    for (std::size_t c = 0; c < scores.size() && c < r.grid.size(); ++c)
      rows.push_back({std::to_string(s), config_text(r.grid[c]), number_or_null(scores[c])});
  }
  write_csv(path, {"split", "config", "score"}, rows);
}

void write_predictions_csv(const ProtocolResult& r, const TrajectoryDataset& data, const fs::path& path) {
  const MetaColumn* run_id = data.meta.count("run_id") ? &data.meta.at("run_id") : nullptr;
  const MetaColumn* layer = data.meta.count("layer") ? &data.meta.at("layer") : nullptr;
  std::vector<CsvRow> rows;
  for (std::size_t s = 0; s < r.splits.size(); ++s) {
    const auto& x = r.splits[s];
    for (std::size_t i = 0; i < x.test.size(); ++i) {
      const int64_t row = x.test[i];
      rows.push_back({std::to_string(s), std::to_string(row), run_id ? run_id->as_string(row) : "",
                      layer ? layer->as_string(row) : "", data.y[static_cast<std::size_t>(row)],
                      r.class_names[static_cast<std::size_t>(x.predictions[i])]});
    }
  }
  write_csv(path, {"split", "row", "run_id", "layer", "true", "predicted"}, rows);
}

// importance.csv: the mean importance [3 + M·T'] of each feature, with its
// observable and time index (empty for the three one-hot columns).
void write_importance_csv(const ProtocolResult& r, const torch::Tensor& importance, const fs::path& path) {
  const int64_t tp = (static_cast<int64_t>(r.feature_names.size()) - 3) / std::max<int64_t>(1, r.observables.size());
  std::vector<CsvRow> rows;
  for (int64_t f = 0; f < importance.size(0); ++f) {
    const auto i = static_cast<std::size_t>(f);
    const bool onehot = f < 3;
    rows.push_back({r.feature_names[i], onehot ? r.feature_names[i] : r.observables[static_cast<std::size_t>((f - 3) / tp)],
                    onehot ? std::string() : std::to_string((f - 3) % tp), csv_number(importance[f].item<double>())});
  }
  write_csv(path, {"feature", "observable", "time", "importance"}, rows);
}

}  // namespace

void write_results(const ProtocolResult& r, const TrajectoryDataset& data, const fs::path& dir, bool tree_importances) {
  ensure_directory(dir);
  write_json(dir / "results.json", results_json(r, data));
  write_metrics_csv(r, dir / "metrics.csv");
  write_confusion_csv(r, dir / "confusion.csv");
  write_predictions_csv(r, data, dir / "predictions.csv");
  if (r.grid.size() > 1) write_cv_csv(r, dir / "cv.csv");
  const torch::Tensor importance = r.feature_importance();
  if (!importance.defined()) return;
  write_importance_csv(r, importance, dir / "importance.csv");
  if (tree_importances) {
    std::vector<std::pair<std::string, torch::Tensor>> arrays;
    for (std::size_t s = 0; s < r.splits.size(); ++s)
      arrays.emplace_back(fmt::format("split_{}", s), r.splits[s].tree_importances);
    write_arrays((dir / "tree_importances.h5").string(), arrays);
  }
}

}  // namespace lrid

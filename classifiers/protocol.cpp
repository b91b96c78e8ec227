// The evaluation protocol. See protocol.h and science.md §6.
#include "classifiers/protocol.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "classifiers/features.h"
#include "classifiers/registry.h"
#include "classifiers/splits.h"
#include "classifiers/trajectory_model.h"
#include "core/errors.h"
#include "core/progress.h"
#include "core/files.h"
#include "core/json.h"
#include "core/seeding.h"

namespace lrid {
namespace fs = std::filesystem;

std::vector<std::string> class_names_of(const std::vector<std::string>& labels) {
  static const std::vector<std::string> order = {"adam", "sgdm", "ia", "information", "fa", "feedback",
                                                 "sa",   "aa",   "wm", "kp"};
  std::set<std::string> s(labels.begin(), labels.end());
  std::vector<std::string> out;
  for (const auto& r : order)
    if (s.erase(r)) out.push_back(r);
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

namespace {

std::vector<int64_t> to_vector(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kInt64).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

double accuracy_of(const torch::Tensor& predicted, const torch::Tensor& truth) {
  return predicted.eq(truth).to(torch::kFloat64).mean().item<double>();
}

}  // namespace

torch::Tensor ProtocolResult::feature_importance() const {
  std::vector<torch::Tensor> per_split;
  for (const auto& s : splits)
    if (s.tree_importances.defined() && s.tree_importances.numel() > 0) per_split.push_back(s.tree_importances.mean(0));
  if (per_split.empty()) return {};
  return torch::stack(per_split).mean(0);
}

ProtocolResult run_protocol(const TrajectoryDataset& data, const ProtocolOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.splits < 1) throw ConfigError(fmt::format("--splits {}: must be at least 1", o.splits));
  if (o.folds < 2) throw ConfigError(fmt::format("folds {}: must be at least 2", o.folds));
  if (o.stat_noise_var < 0) throw ConfigError(fmt::format("stat_noise_var {}: must be >= 0", o.stat_noise_var));
  ProtocolResult r;
  r.options = o;
  r.class_names = class_names_of(data.y);
  const auto k = static_cast<int64_t>(r.class_names.size());
  if (k < 2) throw DataError(fmt::format("the dataset has {} learning rule(s); classification needs two", k));
  std::vector<int64_t> cols = select_observables(data, o.observables, &r.observables);
  for (int64_t t : o.time_points)
    if (t < 0 || t >= data.time_points())
      throw ConfigError(fmt::format("time point {} is outside 0..{}", t, data.time_points() - 1));
  const int64_t tp = o.time_points.empty() ? data.time_points() : static_cast<int64_t>(o.time_points.size());
  r.feature_names = feature_names(r.observables, tp);
  r.grid = classifier_grid(o.classifier, o.grid, tp, o.set);

  // Rows with non-finite selected values: fail loudly, or drop and count per rule (§3.8).
  std::vector<int64_t> bad = nonfinite_rows(data, cols);
  std::vector<int64_t> keep;
  {
    std::set<int64_t> b(bad.begin(), bad.end());
    if (!b.empty() && !o.drop_nonfinite)
      throw DataError(fmt::format("{} rows have non-finite values in the selected observables (first: row {}, rule "
                                  "{}); select other observables or pass --drop-nonfinite",
                                  b.size(), bad.front(), data.y[static_cast<std::size_t>(bad.front())]));
    for (int64_t i = 0; i < data.rows(); ++i)
      if (!b.count(i)) keep.push_back(i);
      else ++r.dropped_rows[data.y[static_cast<std::size_t>(i)]];
  }
  const TrajectoryDataset d = bad.empty() ? data : data.subset(keep);
  std::vector<int64_t> labels;
  for (const auto& y : d.y)
    labels.push_back(std::find(r.class_names.begin(), r.class_names.end(), y) - r.class_names.begin());
  torch::Tensor y_all = torch::tensor(labels, torch::kInt64);
  torch::Tensor cont = continuous_block(d, cols, o.time_points);
  torch::Tensor onehot = onehot_block(d);
  if (o.stat_noise_var > 0) {
    torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(mix_seed(o.seed, 0x5747u));
    cont = cont + std::sqrt(o.stat_noise_var) * torch::randn(cont.sizes(), g, torch::TensorOptions().dtype(torch::kFloat64));
  }
  // Pools refer to original rows; map them to kept rows.
  auto map_pool = [&](const std::vector<int64_t>& pool) {
    std::vector<int64_t> out;
    if (pool.empty()) return out;
    std::set<int64_t> p(pool.begin(), pool.end());
    for (std::size_t i = 0; i < keep.size(); ++i)
      if (p.count(keep[i])) out.push_back(static_cast<int64_t>(i));
    if (out.empty()) throw DataError("a train or test pool is empty after selecting rows");
    return out;
  };
  auto splits = balanced_splits(labels, k, o.splits, o.seed, map_pool(o.train_pool), map_pool(o.test_pool), o.n_train, o.n_test,
                                o.folds, r.class_names);

  int64_t ng = static_cast<int64_t>(r.grid.size());
  const bool search = ng > 1;
  Progress progress(o.label.empty() ? fmt::format("classify {}", o.classifier) : o.label,
                    o.splits * ((search ? ng * o.folds : 0) + 1), o.progress);
  int64_t done = 0;
  for (int64_t s = 0; s < o.splits; ++s) {
    const Split& sp = splits[static_cast<std::size_t>(s)];
    torch::Tensor tr = torch::tensor(sp.train, torch::kInt64), te = torch::tensor(sp.test, torch::kInt64);
    Normalizer norm;
    norm.fit(cont.index_select(0, tr));
    torch::Tensor xtr = norm.apply(cont.index_select(0, tr)), xte = norm.apply(cont.index_select(0, te));
    torch::Tensor otr = onehot.index_select(0, tr), ote = onehot.index_select(0, te);
    torch::Tensor ytr = y_all.index_select(0, tr), yte = y_all.index_select(0, te);
    SplitResult res;
    res.norm_mean = norm.mean;
    res.norm_std = norm.stddev;
    // Inner model selection: stratified folds, mean validation accuracy, first best.
    int64_t best = 0;
    if (search) {
      const std::vector<int64_t> fold = stratified_folds(to_vector(ytr), o.folds);
      double best_score = -1;
      for (int64_t c = 0; c < ng; ++c) {
        double sum = 0;
        bool ok = true;
        for (int64_t f = 0; f < o.folds && ok; ++f) {
          std::vector<int64_t> fi, vi;
          for (std::size_t i = 0; i < fold.size(); ++i) (fold[i] == f ? vi : fi).push_back(static_cast<int64_t>(i));
          torch::Tensor ft = torch::tensor(fi, torch::kInt64), vt = torch::tensor(vi, torch::kInt64);
          try {
            auto m = make_trajectory_model(o.classifier, r.grid[static_cast<std::size_t>(c)], tp,
                                           mix_seed(o.seed, static_cast<uint64_t>(s * 1000003 + c * 101 + f)), o.n_jobs);
            m->fit(xtr.index_select(0, ft), otr.index_select(0, ft), ytr.index_select(0, ft), k);
            sum += accuracy_of(m->predict(xtr.index_select(0, vt), otr.index_select(0, vt)), ytr.index_select(0, vt));
          } catch (const ConfigError&) {
            ok = false;  // an invalid configuration for this data (§6.3): skipped
          }
          progress.update(++done, fmt::format("split {}/{}", s + 1, o.splits));
        }
        const double score = ok ? sum / static_cast<double>(o.folds) : std::nan("");
        res.cv_scores.push_back(score);
        if (ok && score > best_score) {
          best_score = score;
          best = c;
        }
      }
      const ClassifierSpec& spec = classifier_spec(o.classifier);
      if (best_score < 0 && spec.fallback && !spec.fallback(r.grid).empty()) {
        // No configuration fits this data: search the classifier's fallback grid instead.
        r.grid = spec.fallback(r.grid);
        ng = static_cast<int64_t>(r.grid.size());
        --s;
        continue;
      }
      if (best_score < 0) throw ConfigError(fmt::format("no {} configuration of the grid fits this data", o.classifier));
    } else {
      res.cv_scores.push_back(std::nan(""));
    }
    res.chosen = r.grid[static_cast<std::size_t>(best)];
    auto model = make_trajectory_model(o.classifier, res.chosen, tp, mix_seed(o.seed, static_cast<uint64_t>(s)), o.n_jobs);
    model->fit(xtr, otr, ytr, k);
    torch::Tensor pred = model->predict(xte, ote);
    res.predictions = to_vector(pred);
    res.test_confusion = confusion_matrix(to_vector(yte), res.predictions, k);
    res.train_confusion = confusion_matrix(to_vector(ytr), to_vector(model->predict(xtr, otr)), k);
    res.test_accuracy = accuracy(res.test_confusion);
    res.tree_importances = model->tree_importances();
    for (int64_t i : sp.train) res.train.push_back(keep.empty() ? i : keep[static_cast<std::size_t>(i)]);
    for (int64_t i : sp.test) res.test.push_back(keep.empty() ? i : keep[static_cast<std::size_t>(i)]);
    progress.update(++done, fmt::format("split {}/{} acc {:.3f}", s + 1, o.splits, res.test_accuracy));
    r.splits.push_back(std::move(res));
  }
  std::vector<double> accs;
  std::vector<Confusion> cms;
  for (const auto& s : r.splits) {
    accs.push_back(s.test_accuracy);
    cms.push_back(s.test_confusion);
  }
  r.accuracy_mean = mean(accs);
  r.accuracy_sem = sem(accs);
  r.mean_confusion = mean_confusion(cms);
  r.mean_accuracy = accuracy(r.mean_confusion);
  r.balanced_accuracy = balanced_accuracy(r.mean_confusion);
  r.d_prime = d_prime(r.mean_confusion);
  r.wall_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  progress.finish(fmt::format("accuracy {:.4f} ± {:.4f}", r.accuracy_mean, r.accuracy_sem));
  return r;
}

namespace {

std::string jnum(double v) { return std::isfinite(v) ? fmt::format("{}", v) : "null"; }
std::string jstr(const std::string& s) { return Json(s).dump(); }
template <class T, class F>
std::string jlist(const std::vector<T>& v, F f) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + f(v[i]);
  return s + "]";
}
std::string jmatrix(const Confusion& c) {
  return jlist(c, [](const std::vector<double>& row) { return jlist(row, jnum); });
}
std::string jconfig(const GridConfig& c) {
  std::string s = "{";
  for (std::size_t i = 0; i < c.size(); ++i) s += (i ? ", " : "") + jstr(c[i].first) + ": " + jstr(c[i].second);
  return s + "}";
}
std::string jtensor(const torch::Tensor& t) {
  if (!t.defined()) return "null";
  torch::Tensor c = t.to(torch::kFloat64).contiguous().view(-1);
  std::vector<double> v(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  return jlist(v, jnum);
}

}  // namespace

void write_results(const ProtocolResult& r, const TrajectoryDataset& data, const fs::path& dir, bool tree_importances) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(fmt::format("{}: cannot create ({})", dir.string(), ec.message()));
  const auto& o = r.options;
  std::string splits;
  for (std::size_t s = 0; s < r.splits.size(); ++s) {
    const auto& x = r.splits[s];
    splits += fmt::format(
        "{}\n    {{\"split\": {}, \"test_accuracy\": {}, \"chosen\": {}, \"cv_scores\": {}, \"balanced_accuracy\": {}, "
        "\"d_prime\": {}, \"test_confusion\": {}, \"train_confusion\": {}, \"train_rows\": {}, \"test_rows\": {}, "
        "\"predictions\": {}, \"norm_mean\": {}, \"norm_std\": {}}}",
        s ? "," : "", s, jnum(x.test_accuracy), jconfig(x.chosen), jlist(x.cv_scores, jnum),
        jlist(balanced_accuracy(x.test_confusion), jnum), jlist(d_prime(x.test_confusion), jnum),
        jmatrix(x.test_confusion), jmatrix(x.train_confusion),
        jlist(x.train, [](int64_t v) { return std::to_string(v); }),
        jlist(x.test, [](int64_t v) { return std::to_string(v); }),
        jlist(x.predictions, [](int64_t v) { return std::to_string(v); }), jtensor(x.norm_mean), jtensor(x.norm_std));
  }
  std::string dropped = "{";
  for (const auto& [k, v] : r.dropped_rows) dropped += (dropped.size() > 1 ? ", " : "") + jstr(k) + ": " + std::to_string(v);
  dropped += "}";
  const std::string json = fmt::format(
      "{{\n  \"classifier\": {},\n  \"observables\": {},\n  \"observable_selection\": {},\n  \"grid\": {},\n  "
      "\"splits_requested\": {},\n  \"folds\": {},\n  \"seed\": {},\n  \"stat_noise_var\": {},\n  \"time_points\": {},\n  "
      "\"classes\": {},\n  \"feature_names\": {},\n  \"grid_configs\": {},\n  \"dropped_nonfinite_rows\": {},\n  "
      "\"accuracy_mean\": {},\n  \"accuracy_sem\": {},\n  \"mean_accuracy\": {},\n  \"mean_confusion\": {},\n  "
      "\"balanced_accuracy\": {},\n  \"d_prime\": {},\n  \"feature_importance\": {},\n  \"wall_time_s\": {},\n  "
      "\"dataset_rows\": {},\n  \"splits\": [{}\n  ]\n}}\n",
      jstr(o.classifier), jlist(r.observables, jstr), jstr(o.observables), jstr(o.grid), o.splits, o.folds, o.seed,
      jnum(o.stat_noise_var), jlist(o.time_points, [](int64_t v) { return std::to_string(v); }),
      jlist(r.class_names, jstr), jlist(r.feature_names, jstr), jlist(r.grid, jconfig), dropped, jnum(r.accuracy_mean),
      jnum(r.accuracy_sem), jnum(r.mean_accuracy), jmatrix(r.mean_confusion), jlist(r.balanced_accuracy, jnum),
      jlist(r.d_prime, jnum), jtensor(r.feature_importance()), jnum(r.wall_time_s), data.rows(), splits);
  write_file_atomic(dir / "results.json", json);

  std::string metrics = "split,metric,class,value\n", confusion = "split,true,predicted,count\n",
              cv = "split,config,score\n", preds = "split,row,run_id,layer,true,predicted\n";
  auto add_metrics = [&](const std::string& split, const Confusion& c) {
    metrics += fmt::format("{},accuracy,,{}\n", split, jnum(accuracy(c)));
    auto ba = balanced_accuracy(c), dp = d_prime(c);
    for (std::size_t i = 0; i < r.class_names.size(); ++i) {
      metrics += fmt::format("{},balanced_accuracy,{},{}\n", split, r.class_names[i], jnum(ba[i]));
      metrics += fmt::format("{},d_prime,{},{}\n", split, r.class_names[i], jnum(dp[i]));
    }
    for (std::size_t i = 0; i < c.size(); ++i)
      for (std::size_t j = 0; j < c.size(); ++j)
        confusion += fmt::format("{},{},{},{}\n", split, r.class_names[i], r.class_names[j], c[i][j]);
  };
  const MetaColumn* run_id = data.meta.count("run_id") ? &data.meta.at("run_id") : nullptr;
  const MetaColumn* layer = data.meta.count("layer") ? &data.meta.at("layer") : nullptr;
  for (std::size_t s = 0; s < r.splits.size(); ++s) {
    const auto& x = r.splits[s];
    add_metrics(std::to_string(s), x.test_confusion);
    for (std::size_t c = 0; c < x.cv_scores.size() && r.grid.size() > 1; ++c)
      cv += fmt::format("{},\"{}\",{}\n", s, config_text(r.grid[c]), jnum(x.cv_scores[c]));
    for (std::size_t i = 0; i < x.test.size(); ++i) {
      const int64_t row = x.test[i];
      preds += fmt::format("{},{},{},{},{},{}\n", s, row, run_id ? run_id->as_string(row) : "",
                           layer ? layer->as_string(row) : "", data.y[static_cast<std::size_t>(row)],
                           r.class_names[static_cast<std::size_t>(x.predictions[i])]);
    }
  }
  add_metrics("mean", r.mean_confusion);
  metrics += fmt::format("mean,accuracy_mean_over_splits,,{}\nmean,accuracy_sem,,{}\n", jnum(r.accuracy_mean),
                         jnum(r.accuracy_sem));
  write_file_atomic(dir / "metrics.csv", metrics);
  write_file_atomic(dir / "confusion.csv", confusion);
  write_file_atomic(dir / "predictions.csv", preds);
  if (r.grid.size() > 1) write_file_atomic(dir / "cv.csv", cv);
  torch::Tensor imp = r.feature_importance();
  if (imp.defined()) {
    std::string csv = "feature,observable,time,importance\n";
    const int64_t tp = (static_cast<int64_t>(r.feature_names.size()) - 3) / std::max<int64_t>(1, r.observables.size());
    for (int64_t f = 0; f < imp.size(0); ++f) {
      const std::string obs = f < 3 ? r.feature_names[static_cast<std::size_t>(f)]
                                    : r.observables[static_cast<std::size_t>((f - 3) / tp)];
      csv += fmt::format("{},{},{},{}\n", r.feature_names[static_cast<std::size_t>(f)], obs,
                         f < 3 ? std::string() : std::to_string((f - 3) % tp), imp[f].item<double>());
    }
    write_file_atomic(dir / "importance.csv", csv);
    if (tree_importances) {
      std::vector<std::pair<std::string, torch::Tensor>> arrays;
      for (std::size_t s = 0; s < r.splits.size(); ++s)
        arrays.emplace_back(fmt::format("split_{}", s), r.splits[s].tree_importances);
      write_arrays((dir / "tree_importances.h5").string(), arrays);
    }
  }
}

}  // namespace lrid

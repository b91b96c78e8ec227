// Saved classifiers. See saved_classifier.h.
#include "classifiers/saved_classifier.h"

#include <fmt/format.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <map>
#include <set>
#include <sstream>

#include "core/errors.h"
#include "core/seeding.h"

namespace lrid {
namespace {

std::string join(const std::vector<std::string>& v, char sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? std::string(1, sep) : "") + v[i];
  return s;
}
std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string x;
  while (std::getline(ss, x, sep))
    if (!x.empty()) out.push_back(x);
  return out;
}

}  // namespace

SavedClassifier fit_final_classifier(const TrajectoryDataset& data, const ProtocolResult& r) {
  const auto& o = r.options;
  std::map<std::string, int> votes;
  for (const auto& s : r.splits) ++votes[config_text(s.chosen)];
  const GridConfig* best = &r.splits.front().chosen;
  for (const auto& s : r.splits)
    if (votes[config_text(s.chosen)] > votes[config_text(*best)]) best = &s.chosen;
  SavedClassifier c;
  c.classifier = o.classifier;
  c.config = *best;
  c.class_names = r.class_names;
  c.observables = r.observables;
  c.time_points = o.time_points;
  c.dataset_time_points = data.time_points();
  std::vector<int64_t> cols = select_observables(data, join(r.observables, ','));
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < data.rows(); ++i) keep.push_back(i);
  std::vector<int64_t> bad = nonfinite_rows(data, cols);
  if (!bad.empty()) {
    std::vector<int64_t> k2;
    std::set<int64_t> b(bad.begin(), bad.end());
    for (int64_t i : keep)
      if (!b.count(i)) k2.push_back(i);
    keep = k2;
  }
  TrajectoryDataset d = bad.empty() ? data : data.subset(keep);
  torch::Tensor cont = continuous_block(d, cols, o.time_points);
  c.norm.fit(cont);
  std::vector<int64_t> labels;
  for (const auto& y : d.y)
    labels.push_back(std::find(c.class_names.begin(), c.class_names.end(), y) - c.class_names.begin());
  const int64_t tp = o.time_points.empty() ? data.time_points() : static_cast<int64_t>(o.time_points.size());
  c.model = make_trajectory_model(c.classifier, c.config, tp, mix_seed(o.seed, 0xF17A1u), o.n_jobs);
  c.model->fit(c.norm.apply(cont), onehot_block(d), torch::tensor(labels, torch::kInt64),
               static_cast<int64_t>(c.class_names.size()));
  return c;
}

void save_classifier(const std::string& path, const SavedClassifier& c) {
  torch::serialize::OutputArchive a, m;
  std::vector<std::string> cfg;
  for (const auto& [k, v] : c.config) cfg.push_back(k + "=" + v);
  std::vector<std::string> tps;
  for (int64_t t : c.time_points) tps.push_back(std::to_string(t));
  a.write("lrid_classifier", c10::IValue(std::string("1")));
  a.write("classifier", c10::IValue(c.classifier));
  a.write("config", c10::IValue(join(cfg, ';')));
  a.write("classes", c10::IValue(join(c.class_names, '\n')));
  a.write("observables", c10::IValue(join(c.observables, '\n')));
  a.write("time_points", c10::IValue(join(tps, ',')));
  a.write("dataset_time_points", torch::tensor(c.dataset_time_points));
  a.write("norm_mean", c.norm.mean);
  a.write("norm_std", c.norm.stddev);
  c.model->save(m);
  a.write("model", m);
  const std::string tmp = path + ".tmp";
  try {
    a.save_to(tmp);
  } catch (const c10::Error& e) {
    throw IoError(fmt::format("{}: cannot write: {}", path, e.what_without_backtrace()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw IoError(fmt::format("{}: cannot rename into place ({})", path, ec.message()));
}

SavedClassifier load_classifier(const std::string& path) {
  if (!std::filesystem::exists(path)) throw DataError(fmt::format("{}: no such file", path));
  SavedClassifier c;
  try {
    torch::serialize::InputArchive a;
    a.load_from(path);
    c10::IValue v;
    auto text = [&](const char* key) {
      a.read(key, v);
      return v.toStringRef();
    };
    c.classifier = text("classifier");
    for (const auto& kv : split(text("config"), ';')) {
      auto eq = kv.find('=');
      c.config.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    c.class_names = split(text("classes"), '\n');
    c.observables = split(text("observables"), '\n');
    for (const auto& t : split(text("time_points"), ',')) c.time_points.push_back(std::stoll(t));
    torch::Tensor t;
    a.read("dataset_time_points", t);
    c.dataset_time_points = t.item<int64_t>();
    a.read("norm_mean", c.norm.mean);
    a.read("norm_std", c.norm.stddev);
    const int64_t tp = c.time_points.empty() ? c.dataset_time_points : static_cast<int64_t>(c.time_points.size());
    c.model = make_trajectory_model(c.classifier, c.config, tp, 0, 0);
    torch::serialize::InputArchive m;
    a.read("model", m);
    c.model->load(m);
  } catch (const c10::Error& e) {
    throw DataError(fmt::format("{}: not a saved lrid classifier ({})", path,
                                std::string(e.what_without_backtrace()).substr(0, 120)));
  }
  return c;
}

torch::Tensor classify_rows(const SavedClassifier& c, const TrajectoryDataset& data) {
  if (data.time_points() != c.dataset_time_points)
    throw DataError(fmt::format("the dataset has T = {} time points; the classifier was trained on T = {}",
                                data.time_points(), c.dataset_time_points));
  std::vector<int64_t> cols = select_observables(data, join(c.observables, ','));
  std::vector<int64_t> bad = nonfinite_rows(data, cols);
  if (!bad.empty())
    throw DataError(fmt::format("{} rows have non-finite values in the classifier's observables (first: row {})",
                                bad.size(), bad.front()));
  torch::Tensor cont = c.norm.apply(continuous_block(data, cols, c.time_points));
  return c.model->scores(cont, onehot_block(data));
}

}  // namespace lrid

// Saved classifiers. See saved_classifier.h.
#include "classifiers/saved_classifier.h"

#include <fmt/format.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "classifiers/archive_io.h"
#include "core/errors.h"
#include "core/files.h"
#include "observables/torch_archive.h"
#include "core/seeding.h"

namespace lrid {
namespace {

std::string join_fields(const std::vector<std::string>& v, char sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? std::string(1, sep) : "") + v[i];
  return s;
}
std::vector<std::string> split_fields(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string x;
  while (std::getline(ss, x, sep))
    if (!x.empty()) out.push_back(x);
  return out;
}

// The configuration chosen by the most splits (ties: the earliest).
const GridConfig& most_chosen(const ProtocolResult& r) {
  std::map<std::string, int> votes;
  for (const auto& s : r.splits) ++votes[config_text(s.chosen)];
  const GridConfig* best = &r.splits.front().chosen;
  for (const auto& s : r.splits)
    if (votes[config_text(s.chosen)] > votes[config_text(*best)]) best = &s.chosen;
  return *best;
}

// The rows of `data` whose selected columns are all finite.
TrajectoryDataset finite_rows(const TrajectoryDataset& data, const std::vector<int64_t>& cols) {
  const std::vector<int64_t> bad = nonfinite_rows(data, cols);
  if (bad.empty()) return data;
  const std::set<int64_t> b(bad.begin(), bad.end());
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < data.rows(); ++i)
    if (!b.count(i)) keep.push_back(i);
  return data.subset(keep);
}

// The configuration as "k=v;k=v" and back.
std::string config_record(const GridConfig& config) {
  std::vector<std::string> cfg;
  for (const auto& [k, v] : config) cfg.push_back(k + "=" + v);
  return join_fields(cfg, ';');
}
GridConfig config_of_record(const std::string& record) {
  GridConfig config;
  for (const auto& kv : split_fields(record, ';')) {
    auto eq = kv.find('=');
    config.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return config;
}

// Every field but the model from an opened archive; c10::Error when a key is missing.
SavedClassifier read_saved_fields(torch::serialize::InputArchive& a) {
  SavedClassifier c;
  c.classifier = read_text(a, "classifier");
  c.config = config_of_record(read_text(a, "config"));
  c.class_names = split_fields(read_text(a, "classes"), '\n');
  c.observables = split_fields(read_text(a, "observables"), '\n');
  for (const auto& t : split_fields(read_text(a, "time_points"), ',')) c.time_points.push_back(std::stoll(t));
  c.dataset_time_points = read_tensor(a, "dataset_time_points").item<int64_t>();
  c.norm.mean = read_tensor(a, "norm_mean");
  c.norm.stddev = read_tensor(a, "norm_std");
  return c;
}

}  // namespace

SavedClassifier fit_classifier(const TrajectoryDataset& data, const ProtocolOptions& o,
                               const std::vector<std::string>& class_names, const std::vector<std::string>& observables,
                               const GridConfig& config) {
  SavedClassifier c;
  c.classifier = o.classifier;
  c.config = config;
  c.class_names = class_names;
  c.observables = observables;
  c.time_points = o.time_points;
  c.dataset_time_points = data.time_points();
  const std::vector<int64_t> cols = select_observables(data, join_fields(observables, ','));
  const TrajectoryDataset d = finite_rows(data, cols);
  const torch::Tensor cont = continuous_block(d, cols, o.time_points);
  c.norm.fit(cont);
  const int64_t tp = selected_time_points(o.time_points, data.time_points());
  c.model = make_trajectory_model(c.classifier, c.config, tp, mix_seed(o.seed, 0xF17A1u), o.n_jobs);
  c.model->fit(c.norm.apply(cont), onehot_block(d), torch::tensor(class_ids(d.y, c.class_names), torch::kInt64),
               static_cast<int64_t>(c.class_names.size()));
  return c;
}

SavedClassifier fit_final_classifier(const TrajectoryDataset& data, const ProtocolResult& r) {
  return fit_classifier(data, r.options, r.class_names, r.observables, most_chosen(r));
}

void write_classifier(torch::serialize::OutputArchive& a, const SavedClassifier& c) {
  torch::serialize::OutputArchive m;
  std::vector<std::string> tps;
  for (int64_t t : c.time_points) tps.push_back(std::to_string(t));
  a.write("lrid_classifier", c10::IValue(std::string("1")));
  a.write("classifier", c10::IValue(c.classifier));
  a.write("config", c10::IValue(config_record(c.config)));
  a.write("classes", c10::IValue(join_fields(c.class_names, '\n')));
  a.write("observables", c10::IValue(join_fields(c.observables, '\n')));
  a.write("time_points", c10::IValue(join_fields(tps, ',')));
  write_tensors(a, {{"dataset_time_points", torch::tensor(c.dataset_time_points)},
                    {"norm_mean", c.norm.mean},
                    {"norm_std", c.norm.stddev}});
  c.model->save(m);
  a.write("model", m);
}

SavedClassifier read_classifier(torch::serialize::InputArchive& a) {
  SavedClassifier c = read_saved_fields(a);
  const int64_t tp = selected_time_points(c.time_points, c.dataset_time_points);
  c.model = make_trajectory_model(c.classifier, c.config, tp, 0, 0);
  torch::serialize::InputArchive m;
  a.read("model", m);
  c.model->load(m);
  return c;
}

void save_classifier(const std::string& path, const SavedClassifier& c) {
  torch::serialize::OutputArchive a;
  write_classifier(a, c);
  save_archive(a, path);
}

namespace {

// The first non-empty line of an exception's message (TorchScript's start with "\n").
std::string first_line(const std::string& text) {
  const auto b = text.find_first_not_of("\n");
  if (b == std::string::npos) return text;
  return text.substr(b, text.find('\n', b) - b);
}

}  // namespace

SavedClassifier load_classifier(const std::string& path) {
  if (!std::filesystem::exists(path)) throw DataError(fmt::format("{}: no such file", path));
  try {
    const std::string bytes = read_file(path);
    check_archive_storages(bytes);  // before LibTorch reads any tensor (observables/torch_archive.h)
    torch::serialize::InputArchive a;
    a.load_from(bytes.data(), bytes.size());
    return read_classifier(a);
  } catch (const ArchiveStorageError& e) {
    throw DataError(fmt::format("{}: not a saved lrid classifier ({})", path, e.what()));
  } catch (const c10::Error& e) {
    throw DataError(fmt::format("{}: not a saved lrid classifier ({})", path,
                                std::string(e.what_without_backtrace()).substr(0, 120)));
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    // TorchScript's ErrorReport (not a c10::Error) for a corrupt archive's code/ files.
    throw DataError(fmt::format("{}: not a saved lrid classifier ({})", path, first_line(e.what()).substr(0, 120)));
  }
}

torch::Tensor classify_rows(const SavedClassifier& c, const TrajectoryDataset& data) {
  if (c.time_points.empty() && data.time_points() != c.dataset_time_points)
    throw DataError(fmt::format("the dataset has T = {} time points; the classifier was trained on T = {}",
                                data.time_points(), c.dataset_time_points));
  const int64_t last = c.time_points.empty() ? 0 : *std::max_element(c.time_points.begin(), c.time_points.end());
  if (!c.time_points.empty() && last >= data.time_points())
    throw DataError(fmt::format("the dataset has T = {} time points; the classifier reads time point {}",
                                data.time_points(), last));
  std::vector<int64_t> cols = select_observables(data, join_fields(c.observables, ','));
  std::vector<int64_t> bad = nonfinite_rows(data, cols);
  if (!bad.empty())
    throw DataError(fmt::format("{} rows have non-finite values in the classifier's observables (first: row {})",
                                bad.size(), bad.front()));
  torch::Tensor cont = c.norm.apply(continuous_block(data, cols, c.time_points));
  return c.model->scores(cont, onehot_block(data));
}

}  // namespace lrid

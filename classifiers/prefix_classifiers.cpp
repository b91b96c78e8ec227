// Prefix classifiers. See prefix_classifiers.h.
#include "classifiers/prefix_classifiers.h"

#include <fmt/format.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "classifiers/archive_io.h"
#include "core/errors.h"
#include "core/files.h"
#include "observables/torch_archive.h"

namespace lrid {

int64_t PrefixClassifiers::for_points(int64_t points) const {
  int64_t best = -1;
  for (std::size_t i = 0; i < lengths.size(); ++i)
    if (lengths[i] <= points) best = static_cast<int64_t>(i);
  return best;
}

std::vector<int64_t> prefix_time_points(int64_t k) {
  std::vector<int64_t> t(static_cast<std::size_t>(k));
  for (int64_t i = 0; i < k; ++i) t[static_cast<std::size_t>(i)] = i;
  return t;
}

double prefix_fraction(const TrajectoryDataset& data, int64_t k) {
  const double last = data.time_epochs[-1].item<double>();
  return last > 0 ? data.time_epochs[k - 1].item<double>() / last
                  : static_cast<double>(k) / static_cast<double>(data.time_points());
}

std::vector<int64_t> prefix_lengths(const std::vector<int64_t>& lengths, int64_t time_points) {
  if (lengths.empty()) {
    std::vector<int64_t> all = prefix_time_points(time_points);
    for (auto& k : all) ++k;
    return all;
  }
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    if (lengths[i] < 1 || lengths[i] > time_points)
      throw ConfigError(fmt::format("prefix length {} is outside 1..{} (the dataset's time points)", lengths[i],
                                    time_points));
    if (i > 0 && lengths[i] <= lengths[i - 1])
      throw ConfigError(fmt::format("prefix lengths must ascend without repeats; {} follows {}", lengths[i],
                                    lengths[i - 1]));
  }
  return lengths;
}

PrefixClassifiers fit_prefix_classifiers(const TrajectoryDataset& data, const ProtocolOptions& o,
                                         const std::vector<int64_t>& lengths,
                                         const std::function<void(int64_t, const ProtocolResult&)>& on_result) {
  PrefixClassifiers p;
  p.dataset_time_points = data.time_points();
  for (int64_t k : prefix_lengths(lengths, data.time_points())) {
    ProtocolOptions po = o;
    po.time_points = prefix_time_points(k);
    po.label = fmt::format("{}prefix {}/{}", o.label.empty() ? "" : o.label + " ", k, data.time_points());
    const ProtocolResult r = run_protocol(data, po);
    if (on_result) on_result(k, r);
    p.lengths.push_back(k);
    p.accuracy.push_back(r.accuracy_mean);
    p.accuracy_sem.push_back(r.accuracy_sem);
    p.classifiers.push_back(fit_final_classifier(data, r));
  }
  return p;
}

void save_prefix_classifiers(const std::string& path, const PrefixClassifiers& p) {
  torch::serialize::OutputArchive a;
  a.write("lrid_prefix_classifiers", c10::IValue(std::string("1")));
  write_tensors(a, {{"lengths", torch::tensor(p.lengths, torch::kInt64)},
                    {"accuracy", torch::tensor(p.accuracy, torch::kFloat64)},
                    {"accuracy_sem", torch::tensor(p.accuracy_sem, torch::kFloat64)},
                    {"dataset_time_points", torch::tensor(p.dataset_time_points)}});
  for (std::size_t i = 0; i < p.lengths.size(); ++i) {
    torch::serialize::OutputArchive c;
    write_classifier(c, p.classifiers[i]);
    a.write(fmt::format("prefix_{}", p.lengths[i]), c);
  }
  save_archive(a, path);
}

PrefixClassifiers load_prefix_classifiers(const std::string& path) {
  if (!std::filesystem::exists(path)) throw DataError(fmt::format("{}: no such file", path));
  PrefixClassifiers p;
  try {
    const std::string bytes = read_file(path);
    check_archive_storages(bytes);  // before LibTorch reads any tensor (observables/torch_archive.h)
    torch::serialize::InputArchive a;
    a.load_from(bytes.data(), bytes.size());
    c10::IValue tag;
    if (!a.try_read("lrid_prefix_classifiers", tag)) {
      // A classifier of every time point.
      p.classifiers.push_back(read_classifier(a));
      p.dataset_time_points = p.classifiers.back().dataset_time_points;
      const auto& tps = p.classifiers.back().time_points;
      p.lengths.push_back(tps.empty() ? p.dataset_time_points : static_cast<int64_t>(tps.size()));
      p.accuracy.push_back(std::nan(""));
      p.accuracy_sem.push_back(std::nan(""));
      return p;
    }
    const torch::Tensor lengths = read_tensor(a, "lengths", torch::kInt64, path);
    const torch::Tensor acc = read_tensor(a, "accuracy", torch::kFloat64, path);
    const torch::Tensor sem = read_tensor(a, "accuracy_sem", torch::kFloat64, path);
    p.dataset_time_points = read_tensor(a, "dataset_time_points").item<int64_t>();
    if (acc.numel() != lengths.numel() || sem.numel() != lengths.numel())
      throw DataError(fmt::format("{}: {} prefix lengths but {} accuracies", path, lengths.numel(), acc.numel()));
    for (int64_t i = 0; i < lengths.numel(); ++i) {
      p.lengths.push_back(lengths[i].item<int64_t>());
      p.accuracy.push_back(acc[i].item<double>());
      p.accuracy_sem.push_back(sem[i].item<double>());
      torch::serialize::InputArchive c;
      a.read(fmt::format("prefix_{}", p.lengths.back()), c);
      p.classifiers.push_back(read_classifier(c));
      const auto& tps = p.classifiers.back().time_points;
      if (static_cast<int64_t>(tps.size()) != p.lengths.back())
        throw DataError(fmt::format("{}: the classifier of prefix {} reads {} time points", path, p.lengths.back(),
                                    tps.size()));
    }
    prefix_lengths(p.lengths, p.dataset_time_points);  // ascending, in range
  } catch (const c10::Error& e) {
    throw DataError(fmt::format("{}: not a saved lrid classifier ({})", path,
                                std::string(e.what_without_backtrace()).substr(0, 120)));
  } catch (const ConfigError& e) {
    throw DataError(fmt::format("{}: {}", path, e.what()));
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    // TorchScript's ErrorReport (not a c10::Error) for a corrupt archive's code/ files.
    const std::string what = e.what();
    const auto b = std::min(what.find_first_not_of('\n'), what.size());
    throw DataError(fmt::format("{}: not a saved lrid classifier ({})", path, what.substr(b, what.find('\n', b) - b)));
  }
  if (p.lengths.empty()) throw DataError(fmt::format("{}: holds no prefix classifier", path));
  return p;
}

}  // namespace lrid

// Checkpoint save/load through LibTorch's serialize archives. See checkpoint.h.
#include "training/checkpoint.h"

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <regex>
#include <sstream>

#include "core/errors.h"
#include "core/files.h"
#include "observables/torch_archive.h"
#include "training/optimizer.h"

namespace lrid {

void save_checkpoint(const std::string& path, torch::nn::Module& model, const NamedOptimizers& optimizers,
                     const TrainState& state) {
  torch::serialize::OutputArchive archive;
  for (const auto& p : model.named_parameters()) archive.write("param/" + p.key(), p.value().detach().cpu());
  for (const auto& b : model.named_buffers()) archive.write("buffer/" + b.key(), b.value().cpu(), true);
  archive.write("state/step", torch::tensor(state.step, torch::kInt64));
  archive.write("state/wall_time_s", torch::tensor(state.wall_time_s, torch::kFloat64));
  archive.write("state/train_time_s", torch::tensor(state.train_time_s, torch::kFloat64));
  archive.write("state/record_time_s", torch::tensor(state.record_time_s, torch::kFloat64));
  // [loss, align, correct, images, batches]; the counts are exact in float64 (below 2^53).
  archive.write("state/window", torch::tensor({state.window_loss, state.window_align,
                                               static_cast<double>(state.window_correct),
                                               static_cast<double>(state.window_images),
                                               static_cast<double>(state.window_batches)},
                                              torch::kFloat64));
  torch::Device device = torch::kCPU;
  auto params = model.parameters();
  if (!params.empty()) device = params.front().device();
  for (const auto& [name, optimizer] : optimizers) {
    if (optimizer == nullptr) continue;
    // Optimizer state goes to disk as CPU tensors, then back to the parameters' device.
    if (!device.is_cpu()) optimizer_state_to(*optimizer, torch::kCPU);
    torch::serialize::OutputArchive opt;
    optimizer->save(opt);
    archive.write(name, opt);
    if (!device.is_cpu()) optimizer_state_to(*optimizer, device);
  }
  // Serialised in memory, then written by write_file_atomic: LibTorch's own file
  // writer throws from its destructor when the disk fills (std::terminate),
  // where this reports ENOSPC/EIO in one line and leaves the previous checkpoint.
  std::ostringstream bytes;
  try {
    archive.save_to(bytes);
  } catch (const c10::Error& e) {
    throw IoError(fmt::format("{}: cannot serialise checkpoint: {}", path, e.msg().substr(0, e.msg().find('\n'))));
  }
  write_file_atomic(path, bytes.str());
}

namespace {

// The first non-empty line of an exception's message (TorchScript's start with "\n").
std::string first_line(const std::string& text) {
  const auto b = text.find_first_not_of("\n");
  if (b == std::string::npos) return text;
  return text.substr(b, text.find('\n', b) - b);
}

}  // namespace

TrainState load_checkpoint(const std::string& path, torch::nn::Module& model,
                           const NamedOptimizers& optimizers) {
  TrainState state;
  try {
    torch::serialize::InputArchive archive;
    if (!std::filesystem::exists(path)) throw IoError(fmt::format("{}: cannot read checkpoint: no such file", path));
    const std::string bytes = read_file(path);
    try {
      // One read, checked, then parsed from memory: the file cannot change in between.
      check_archive_storages(bytes);
      archive.load_from(bytes.data(), bytes.size(), torch::kCPU);
    } catch (const ArchiveStorageError& e) {
      throw CorruptCheckpointError(fmt::format("{}: corrupt checkpoint: {}", path, e.what()));
    } catch (const c10::Error& e) {
      throw CorruptCheckpointError(
          fmt::format("{}: corrupt checkpoint: {}", path, e.msg().substr(0, e.msg().find('\n'))));
    }
    torch::NoGradGuard no_grad;
    for (auto& p : model.named_parameters()) {
      torch::Tensor t;
      archive.read("param/" + p.key(), t);
      if (!t.sizes().equals(p.value().sizes()))
        throw IoError(fmt::format("{}: parameter {} has shape {} in the checkpoint, {} in the model",
                                  path, p.key(), fmt::join(t.sizes(), "x"), fmt::join(p.value().sizes(), "x")));
      p.value().copy_(t);
    }
    for (auto& b : model.named_buffers()) {
      torch::Tensor t;
      archive.read("buffer/" + b.key(), t, true);
      b.value().copy_(t);
    }
    torch::Tensor step, wall, train;
    archive.read("state/step", step);
    archive.read("state/wall_time_s", wall);
    archive.read("state/train_time_s", train);
    state.step = step.item<int64_t>();
    state.wall_time_s = wall.item<double>();
    state.train_time_s = train.item<double>();
    torch::Tensor record;
    if (archive.try_read("state/record_time_s", record)) {
      state.record_time_s = record.item<double>();
    }
    torch::Tensor window;  // absent in checkpoints written before it was kept: an empty window
    if (archive.try_read("state/window", window) && window.numel() == 5) {
      const auto w = window.to(torch::kFloat64).contiguous();
      const double* v = w.data_ptr<double>();
      state.window_loss = v[0];
      state.window_align = v[1];
      // Counts kept as doubles: whole, non-negative and within int64 (2^63), else the file is corrupt.
      for (int i = 2; i < 5; ++i)
        if (!(v[i] >= 0 && v[i] < 9.2233720368547758e18 && v[i] == std::floor(v[i])))
          throw CorruptCheckpointError(
              fmt::format("{}: corrupt checkpoint: state/window holds the count {}", path, v[i]));
      state.window_correct = static_cast<int64_t>(v[2]);
      state.window_images = static_cast<int64_t>(v[3]);
      state.window_batches = static_cast<int64_t>(v[4]);
    }
    for (const auto& [name, optimizer] : optimizers) {
      if (optimizer == nullptr) continue;
      torch::serialize::InputArchive opt;
      archive.read(name, opt);
      optimizer->load(opt);
      auto params = model.parameters();
      if (!params.empty() && !params.front().device().is_cpu())
        optimizer_state_to(*optimizer, params.front().device());
    }
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw IoError(fmt::format("{}: cannot read checkpoint: {}", path, e.msg().substr(0, e.msg().find('\n'))));
  } catch (const std::exception& e) {
    // TorchScript's ErrorReport (not a c10::Error) for a corrupt archive's code/ files.
    throw IoError(fmt::format("{}: cannot read checkpoint: {}", path, first_line(e.what())));
  }
  return state;
}

std::vector<std::pair<int64_t, std::filesystem::path>> list_checkpoints(const std::filesystem::path& run_dir) {
  namespace fs = std::filesystem;
  std::vector<std::pair<int64_t, fs::path>> out;
  const fs::path dir = run_dir / "checkpoints";
  if (!fs::is_directory(dir)) return out;
  static const std::regex re("step_([0-9]+)\\.pt");
  for (const auto& e : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string name = e.path().filename().string();
    if (std::regex_match(name, m, re)) out.emplace_back(std::stoll(m[1].str()), e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace lrid

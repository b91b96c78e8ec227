// The training loop. See trainer.h.
//
// Determinism: the data order and augmentation of every batch are functions of
// (data seed, epoch, batch index) (BatchLoader), and the global generator used
// by dropout is re-seeded from (model seed, step) before every step, so a run
// resumed from a checkpoint replays exactly the updates of an uninterrupted run.
#include "training/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "training/checkpoint.h"
#include "training/data_registry.h"
#include "core/errors.h"
#include "core/version.h"
#include "training/lr_schedule.h"
#include "training/optimizer.h"
#include "core/progress.h"
#include "core/files.h"
#include "core/run_status.h"
#include "observables/recorder.h"
#include "core/seeding.h"
#include "training/task.h"
#include "models/registry.h"
#include "rules/rule.h"

namespace lrid {


namespace {

using Clock = std::chrono::steady_clock;

std::string emit(const YAML::Node& n) {
  YAML::Emitter e;
  e << n;
  return e.c_str();
}

// "" when equal, else "stored 'x' vs new 'y'" for the first differing line.
std::string first_difference(const std::string& stored, const std::string& now) {
  std::istringstream a(stored), b(now);
  std::string la, lb;
  while (true) {
    bool ga = static_cast<bool>(std::getline(a, la)), gb = static_cast<bool>(std::getline(b, lb));
    if (!ga && !gb) return "";
    if (!ga) la = "<end>";
    if (!gb) lb = "<end>";
    if (la != lb) return fmt::format("stored '{}' vs new '{}'", la, lb);
  }
}

torch::Device resolve_device(const std::string& want) {
  if (want == "cpu") return torch::kCPU;
  bool have = torch::cuda::is_available();
  if (want == "cuda" && !have)
    throw ConfigError("run.parameters.device: 'cuda' requested but no CUDA device is available");
  return have ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
}

struct Evaluation {
  double loss = 0, accuracy = 0;
};

Evaluation evaluate(ModelImpl& model, Task& task, const BatchLoader& loader, torch::Device device) {
  torch::NoGradGuard no_grad;
  bool was_training = model.is_training();
  model.eval();
  double loss_sum = 0;
  int64_t correct = 0, count = 0;
  for (int64_t i = 0; i < loader.batches_per_epoch(); ++i) {
    Batch b = loader.batch(0, i);
    b.images = b.images.to(device);
    b.labels = b.labels.to(device);
    TaskOutput out = task.loss(model, b);
    loss_sum += out.loss.item<double>() * static_cast<double>(out.count);
    correct += out.correct.item<int64_t>();
    count += out.count;
  }
  model.train(was_training);
  return {count ? loss_sum / count : 0.0, count ? static_cast<double>(correct) / count : 0.0};
}

// Trainable feedback kernels B get an optimizer of their own, never weight-decayed
// (learning-rules.md §4.2): W's type and settings ("same") or another type at its
// defaults. Null when the rule trains no B.
std::unique_ptr<torch::optim::Optimizer> make_feedback_optimizer(const Config& config, const FeedbackTraining& fb,
                                                                 const std::vector<torch::Tensor>& feedback,
                                                                 double lr) {
  if (feedback.empty()) return nullptr;
  const std::string type = fb.optimizer == "same" ? config.optimizer.type : fb.optimizer;
  Params p = type == config.optimizer.type ? config.optimizer.params
                                           : parse_params(optimizer_registry().schema(type), YAML::Node(),
                                                          config.source, "rule.parameters.feedback_optimizer");
  p.set("weight_decay", real_node(0.0));
  return make_optimizer(type, p, ParamGroups{feedback, {}, {}}, lr);
}

// A CSV stream (metrics.csv, alignment.csv) with a header; on resume, rows after
// the checkpoint are dropped, so a resumed run writes the rows an uninterrupted one would.
class CsvLog {
 public:
  CsvLog(const fs::path& path, const std::string& header, int64_t resume_step) : path_(path) {
    std::string kept = header + "\n";
    if (fs::exists(path) && resume_step >= 0) {
      std::istringstream in(read_file(path));
      std::string line;
      std::getline(in, line);  // header
      while (std::getline(in, line)) {
        auto comma = line.find(',');
        if (comma == std::string::npos) continue;
        try {
          if (std::stoll(line.substr(0, comma)) <= resume_step) kept += line + "\n";
        } catch (const std::exception&) {
          // a torn last line after a crash: drop it
        }
      }
    }
    write_file_atomic(path, kept);
    out_.open(path, std::ios::app);
    if (!out_) throw IoError(fmt::format("{}: cannot append", path.string()));
  }
  void line(const std::string& text) {
    out_ << text << '\n';
    out_.flush();
  }

 private:
  fs::path path_;
  std::ofstream out_;
};

}  // namespace

TrainResult train(const Config& config_in, const fs::path& run_dir, const TrainOptions& options) {
  Config config = config_in;
  const Params& run = config.run.params;
  // An existing run directory: adopt its drawn seeds, refuse a different
  // configuration, and do not redo a finished run.
  const fs::path config_path = run_dir / "config.yaml";
  const bool existing = fs::exists(config_path);
  if (existing) {
    YAML::Node stored;
    try {
      stored = YAML::LoadFile(config_path.string());
    } catch (const YAML::Exception& e) {
      throw IoError(fmt::format("{}: unreadable: {}", config_path.string(), e.msg));
    }
    for (const auto& key : config.drawn_seeds)
      if (stored["run"]["parameters"][key]) config.run.params.set(key, stored["run"]["parameters"][key]);
    // Both sides go through YAML text, so that node styles ({} vs block) compare equal.
    const std::string diff = first_difference(emit(stored), emit(YAML::Load(emit(config.to_yaml()))));
    if (!diff.empty())
      throw ConfigError(fmt::format("{}: the run directory holds a run with a different configuration "
                                    "({}); choose another --out or remove it", run_dir.string(), diff));
    if (options.resume && status_name(run_dir) == "finished") {
      TrainResult r;
      r.status = "already-finished";
      return r;
    }
  }

  const int64_t threads = run.get_int("threads") > 0 ? run.get_int("threads")
                                                     : std::max(1u, std::thread::hardware_concurrency());
  at::set_num_threads(static_cast<int>(threads));
  const torch::Device device = resolve_device(run.get_string("device"));
  const auto model_seed = static_cast<uint64_t>(run.get_int("model_seed"));
  const auto data_seed = static_cast<uint64_t>(run.get_int("data_seed"));
  const int64_t batch_size = run.get_int("batch_size");

  ImageData data = make_dataset(config.data.type, config.data.params);
  auto task = make_task(config.task.type, config.task.params);
  AugmentOptions aug = augment_options(config.data.params, data.train->channels());
  aug.views = task->views();
  BatchLoader train_loader(data.train, aug, batch_size, true, true, true, data_seed);
  BatchLoader test_loader(data.test, aug, run.get_int("eval_batch_size"), false, false, false, data_seed);
  if (train_loader.batches_per_epoch() < 1)
    throw ConfigError(fmt::format("run.parameters.batch_size: {} exceeds the {} training images",
                                  batch_size, data.train->size()));

  const LayerRule rule = layer_rule(config.rule.type, config.rule.params);
  const FeedbackTraining fb = feedback_training(config.rule.type, config.rule.params);
  const int64_t angles_every = alignment_metrics_every(config.rule.type, config.rule.params);
  Model model = make_model(config.model.type, config.model.params, data.train->channels(),
                           aug.input_size, data.num_classes, model_seed, rule, task->projection_dim());
  model->to(device);
  model->train();

  // The run directory is touched only once the data and model are known to be good.
  std::error_code ec;
  fs::create_directories(run_dir / "checkpoints", ec);
  if (ec) throw IoError(fmt::format("{}: cannot create run directory: {}", run_dir.string(), ec.message()));
  if (!existing) write_file_atomic(config_path, emit(config.to_yaml()) + "\n");

  const int64_t spe = train_loader.batches_per_epoch();
  const double base_lr = base_learning_rate(config.optimizer.params, batch_size);
  LrSchedule schedule = make_schedule(config.schedule.type, config.schedule.params, base_lr, spe);
  const ParamGroups groups = model_param_groups(*model);
  auto optimizer = make_optimizer(config.optimizer.type, config.optimizer.params,
                                  ParamGroups{groups.decayed, groups.not_decayed, {}}, base_lr);
  const double feedback_lr_scale = fb.lr > 0 ? fb.lr / base_lr : 1.0;
  auto feedback_optimizer = make_feedback_optimizer(config, fb, groups.feedback, base_lr * feedback_lr_scale);
  const NamedOptimizers optimizers = {{"optimizer", optimizer.get()},
                                      {"feedback_optimizer", feedback_optimizer.get()}};
  const int64_t total = schedule.total_steps();

  TrainState state;
  auto checkpoints = list_checkpoints(run_dir);
  const bool resumed = options.resume && !checkpoints.empty();
  if (resumed) {
    state = load_checkpoint(checkpoints.back().second.string(), *model, optimizers);
  }
  CsvLog metrics(run_dir / "metrics.csv",
                 "step,epoch,split,loss,accuracy,alignment_loss,lr,record_time_s,wall_time_s", state.step);
  // Observables: streams start afresh unless a checkpoint is resumed.
  std::unique_ptr<Recorder> recorder;
  if (config.observables.type == "recorder") {
    RecorderOptions ro = recorder_options(config.observables.params, "observables.parameters");
    recorder = std::make_unique<Recorder>(ro, run_dir.filename().string(), mix_seed(model_seed, data_seed), run_dir,
                                          model->layers(), total, spe, resumed ? state.step : -1);
    std::vector<int64_t> idx = probe_indices(data.test->size(), ro.probe_size, ro.probe_seed);
    recorder->set_probe(test_loader.preprocess(data.test->images(idx)).to(device));
  }
  auto record = [&](int64_t step) {
    if (recorder && recorder->due(step)) state.record_time_s += recorder->record(*model, [&](const torch::Tensor& x) { return task->probe_forward(*model, x); }, step);
  };
  std::unique_ptr<CsvLog> angles;
  if (angles_every > 0)
    angles = std::make_unique<CsvLog>(run_dir / "alignment.csv", "step,layer,weight_angle,gradient_angle", state.step);
  RunStatus status;
  status.status = "running";
  status.step = state.step;
  status.total_steps = total;
  write_status(run_dir, status);

  auto every = [&](const char* key) {
    double e = run.get_real(key);
    return e > 0 ? std::max<int64_t>(1, static_cast<int64_t>(std::llround(e * spe))) : total;
  };
  const int64_t eval_every = every("eval_every"), ckpt_every = every("checkpoint_every");
  const int64_t log_every = run.get_int("log_every");
  const auto keep = static_cast<std::size_t>(run.get_int("keep_checkpoints"));

  Progress progress(fmt::format("train {}", run_dir.filename().string()), total, options.progress);
  progress.set_start(state.step);
  auto t0 = Clock::now();
  const double wall0 = state.wall_time_s;
  auto wall = [&] { return wall0 + std::chrono::duration<double>(Clock::now() - t0).count(); };

  torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
  torch::Tensor correct_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(device));
  torch::Tensor align_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
  int64_t window = 0, window_batches = 0;
  Evaluation last_eval;
  TrainResult result;
  result.device = device.str();

  auto save = [&](int64_t step) {
    state.step = step;
    state.wall_time_s = wall();
    save_checkpoint((run_dir / "checkpoints" / fmt::format("step_{}.pt", step)).string(), *model,
                    optimizers, state);
    auto all = list_checkpoints(run_dir);
    for (std::size_t i = 0; i + keep < all.size(); ++i) fs::remove(all[i].second, ec);
  };
  auto diverged = [&](int64_t step, const std::string& reason) {
    result.status = "diverged";
    result.reason = reason;
    result.steps = step;
    RunStatus s;
    s.status = "diverged";
    s.reason = reason;
    s.step = step;
    s.total_steps = total;
    write_status(run_dir, s);
    progress.finish("diverged");
    return result;
  };

  if (!resumed) record(0);  // the initialisation, before any update
  for (int64_t step = state.step; step < total; ++step) {
    if (options.stop_at_step >= 0 && step == options.stop_at_step) {
      result.status = "interrupted";
      result.steps = step;
      return result;
    }
    auto ts = Clock::now();
    const int64_t epoch = step / spe;
    Batch batch = train_loader.batch(epoch, step % spe);
    batch.images = batch.images.to(device);
    batch.labels = batch.labels.to(device);
    torch::manual_seed(mix_seed(model_seed, static_cast<uint64_t>(step)));
    const double lr = schedule.at(step);
    set_learning_rate(*optimizer, lr);
    optimizer->zero_grad();
    if (feedback_optimizer) {
      set_learning_rate(*feedback_optimizer, lr * feedback_lr_scale);
      feedback_optimizer->zero_grad();
    }
    const bool record_angles = angles && (step + 1) % angles_every == 0;
    if (record_angles)
      for (const auto& l : model->layers()) l.layer->probe() = AlignmentProbe{true};
    TaskOutput out = task->loss(*model, batch);
    // total = task loss + alignment_rate * sum of layer-local losses (§5.1); the
    // parameter sets are disjoint, so one backward pass serves W and B.
    torch::Tensor align = model->take_alignment_loss();
    torch::Tensor objective = align.defined() ? out.loss + fb.alignment_rate * align : out.loss;
    objective.backward();
    optimizer->step();
    if (feedback_optimizer) feedback_optimizer->step();
    if (align.defined()) align_sum += align.detach().to(torch::kFloat64);
    if (record_angles) {
      for (const auto& l : model->layers()) {
        AlignmentProbe& pr = l.layer->probe();
        if (pr.filled)
          angles->line(fmt::format("{},{},{:.6g},{:.6g}", step + 1, l.name, pr.weight_angle, pr.gradient_angle));
        pr = AlignmentProbe{};
      }
    }
    loss_sum += out.loss.detach().to(torch::kFloat64);
    correct_sum += out.correct;
    window += out.count;
    ++window_batches;
    state.train_time_s += std::chrono::duration<double>(Clock::now() - ts).count();

    const int64_t done = step + 1;
    const double epoch_f = static_cast<double>(done) / static_cast<double>(spe);
    if (done % log_every == 0 || done == total) {
      // loss_sum holds per-batch mean losses: average them over the window's batches.
      const double mean_loss = loss_sum.item<double>() / static_cast<double>(std::max<int64_t>(window_batches, 1));
      double acc = static_cast<double>(correct_sum.item<int64_t>()) / std::max<int64_t>(window, 1);
      if (!std::isfinite(mean_loss))
        return diverged(done, fmt::format("non-finite training loss ({}) by step {}", mean_loss, done));
      const double mean_align = align_sum.item<double>() / static_cast<double>(std::max<int64_t>(window_batches, 1));
      if (!std::isfinite(mean_align))
        return diverged(done, fmt::format("non-finite alignment loss ({}) by step {}", mean_align, done));
      metrics.line(fmt::format("{},{:.6f},train,{:.9g},{:.9g},{:.9g},{:.9g},{:.3f},{:.3f}", done, epoch_f, mean_loss,
                               acc, mean_align, lr, state.record_time_s, wall()));
      align_sum.zero_();
      progress.update(done, fmt::format("loss {:.4f} acc {:.3f}", mean_loss, acc));
      loss_sum.zero_();
      correct_sum.zero_();
      window = 0;
      window_batches = 0;
    }
    if (done % eval_every == 0 || done == total) {
      last_eval = evaluate(*model, *task, test_loader, device);
      if (!std::isfinite(last_eval.loss))
        return diverged(done, fmt::format("non-finite test loss ({}) at step {}", last_eval.loss, done));
      metrics.line(fmt::format("{},{:.6f},test,{:.9g},{:.9g},,{:.9g},{:.3f},{:.3f}", done, epoch_f, last_eval.loss,
                               last_eval.accuracy, lr, state.record_time_s, wall()));
    }
    record(done);  // before the checkpoint, so a resumed run never records a point twice
    if (done % ckpt_every == 0 || done == total) save(done);
  }
  progress.finish(fmt::format("test acc {:.4f}", last_eval.accuracy));

  result.status = "finished";
  result.steps = total;
  result.test_accuracy = last_eval.accuracy;
  result.test_loss = last_eval.loss;
  result.wall_time_s = wall();
  const double trained_images = static_cast<double>(total) * static_cast<double>(batch_size);
  result.train_images_per_s = state.train_time_s > 0 ? trained_images / state.train_time_s : 0.0;

  RunStatus done;
  done.status = "finished";
  done.step = done.total_steps = total;
  done.result = RunStatus::Result{result.test_accuracy, result.test_loss, result.wall_time_s, state.train_time_s,
                                  state.record_time_s, result.train_images_per_s, result.device, threads,
                                  version(), git_commit()};
  write_status(run_dir, done);  // last: marks the run finished
  return result;
}

}  // namespace lrid

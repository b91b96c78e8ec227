// The training loop as a session: set up (data, model, optimizers, schedule,
// resume, logs, recorder), then per step: train, log, evaluate, record,
// checkpoint; then finish (status.json last). See trainer.h.
//
// Determinism: the data order and augmentation of every batch are functions of
// (data seed, epoch, batch index) (BatchLoader), and the global generator used
// by dropout is re-seeded from (model seed, step) before every step, so a run
// resumed from a checkpoint replays exactly the updates of an uninterrupted run.
//
// Data parallel (distributed.h): with several ranks every rank holds the whole
// model and trains on its shard of each global batch (BatchShard); c10d's
// Reducer averages W's and B's gradients during the backward pass. Rank 0
// alone writes the run directory and evaluates and records (on its own
// BatchNorm running statistics: batch statistics are per rank); metrics are
// reduced over the ranks. The other ranks read rank 0's checkpoint to resume.
//
// Precision and layout (compute_settings.h): the model, the batches and the
// probe set take the run's memory format once; each step's forward passes
// run under autocast when the precision is bf16 or fp16, the backward pass
// and the optimizer steps outside it on the fp32 masters; fp16 adds dynamic
// loss scaling (grad_scaler.h).
#include "training/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <exception>
#include <thread>

#include "core/dir_lock.h"
#include "core/errors.h"
#include "core/progress.h"
#include "core/run_status.h"
#include "core/seeding.h"
#include "core/version.h"
#include "core/warning.h"
#include "training/checkpoint.h"
#include "training/compute_settings.h"
#include "training/distributed.h"
#include "training/grad_scaler.h"
#include "training/metrics_log.h"
#include "training/train_metrics.h"
#include "training/run_directory.h"
#include "training/run_options.h"
#include "training/training_options.h"

namespace lrid {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

// Where a session runs: its device, its process group (null: one process),
// and how many ranks share this host's cores.
struct Placement {
  torch::Device device = torch::kCPU;
  DataParallel* dp = nullptr;
  int ranks_on_host = 1;
};

class TrainingSession {
 public:
  TrainingSession(const Config& config, TrainingOptions options, fs::path run_dir, RunDirectoryState dir_state,
                  const TrainOptions& train_options, const Placement& placement);
  TrainResult run();

 private:
  void set_up_data();
  void set_up_model();
  void set_up_optimizers();
  int64_t load_newest_checkpoint();
  void resume_and_open_logs();
  void train_step(int64_t step);
  void record_angles(int64_t done);
  void reduce_window();
  void fold_window_into_root();
  int64_t sum_window_over_ranks();
  bool log_train(int64_t done);
  bool evaluate_test(int64_t done);
  void record(int64_t step);
  void checkpoint(int64_t step);
  void save_at(int64_t step);
  TrainResult diverged(int64_t step, const std::string& reason);
  std::string divergence_hint();
  bool stop_requested(int64_t done);
  TrainResult interrupted(int64_t done);
  TrainResult finish();
  double wall() const { return wall0_ + std::chrono::duration<double>(Clock::now() - t0_).count(); }
  int64_t steps_every(double epochs) const {
    return epochs > 0 ? std::max<int64_t>(1, static_cast<int64_t>(std::llround(epochs * spe_))) : total_;
  }

  const Config& config_;
  TrainingOptions o_;
  fs::path run_dir_;
  RunDirectoryState dir_state_;
  TrainOptions train_options_;
  DataParallel* dp_ = nullptr;  // null: one process
  bool root_ = true;            // rank 0 (or the only process): writes the run directory
  std::unique_ptr<DirLock> lock_;
  BatchShard shard_;
  int64_t threads_ = 1;
  torch::Device device_ = torch::kCPU;
  ComputeSettings compute_;
  std::unique_ptr<GradScaler> scaler_;  // fp16 only
  ImageData data_;
  std::unique_ptr<Task> task_;
  std::unique_ptr<BatchLoader> train_loader_, test_loader_;
  Model model_;
  LrSchedule schedule_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_, feedback_optimizer_;
  double feedback_lr_scale_ = 1.0;
  NamedOptimizers optimizers_;
  int64_t spe_ = 1, total_ = 1;
  TrainState state_;
  bool resumed_ = false;
  int64_t saved_step_ = -1;  // the step of the newest checkpoint this session wrote (known on every rank)
  std::unique_ptr<MetricsLog> metrics_, angles_;
  std::unique_ptr<Recorder> recorder_;
  std::unique_ptr<Progress> progress_;
  std::unique_ptr<TrainWindow> window_;
  Evaluation last_eval_;
  double lr_ = 0;
  double last_objective_ = 0, last_align_ = 0;  // the last step's objective and alignment loss (CPU, one process)
  Clock::time_point t0_;
  double wall0_ = 0;
};

TrainingSession::TrainingSession(const Config& config, TrainingOptions options, fs::path run_dir,
                                 RunDirectoryState dir_state, const TrainOptions& train_options,
                                 const Placement& placement)
    : config_(config), o_(std::move(options)), run_dir_(std::move(run_dir)), dir_state_(dir_state),
      train_options_(train_options), dp_(placement.dp) {
  const RunOptions& run = o_.run;
  if (dp_) {
    root_ = dp_->rank() == 0;
    shard_ = BatchShard{dp_->rank(), dp_->world_size()};
    train_options_.progress = train_options_.progress && root_;
  }
  // The cores are shared by the ranks on this host unless the config says how many.
  const int64_t cores = std::max(1u, std::thread::hardware_concurrency());
  threads_ = run.threads > 0 ? run.threads : std::max<int64_t>(1, cores / std::max(1, placement.ranks_on_host));
  at::set_num_threads(static_cast<int>(threads_));
  device_ = placement.device;
  compute_ = compute_settings(run.precision, run.memory_format);
  if (compute_.precision == "fp16") scaler_ = std::make_unique<GradScaler>(device_);
  set_up_data();
  set_up_model();
  // The run directory is touched only once the data and model are known to be good,
  // and by one process at a time (a second one pointed at it refuses here).
  if (root_) {
    lock_ = std::make_unique<DirLock>(run_dir_, "run directory");
    open_run_directory(config_, run_dir_, dir_state_);
  }
  set_up_optimizers();
  resume_and_open_logs();
}

void TrainingSession::set_up_data() {
  data_ = load_data(o_.data);
  o_.data = resolve_input_shape(o_.data, data_);
  task_ = make_task(o_.task);
  AugmentOptions aug = augment_options(o_.data, data_.train->channels());
  aug.views = task_->views();
  const auto seed = static_cast<uint64_t>(o_.run.data_seed);
  if (o_.run.batch_size % shard_.count != 0)
    throw ConfigError(fmt::format("run.parameters.batch_size: {} does not split evenly over {} ranks",
                                  o_.run.batch_size, shard_.count));
  train_loader_ = std::make_unique<BatchLoader>(data_.train, aug, o_.run.batch_size, true, true, true, seed);
  test_loader_ = std::make_unique<BatchLoader>(data_.test, aug, o_.run.eval_batch_size, false, false, false, seed);
  if (train_loader_->batches_per_epoch() < 1)
    throw ConfigError(fmt::format("run.parameters.batch_size: {} exceeds the {} training images", o_.run.batch_size,
                                  data_.train->size()));
  spe_ = train_loader_->batches_per_epoch();
  total_ = schedule_total_steps(o_.schedule, spe_);
}

void TrainingSession::set_up_model() {
  ModelOptions m = o_.model;
  m.in_channels = data_.train->channels();
  m.input_size = o_.data.input_size;
  m.input_width = o_.data.input_width;
  m.num_classes = data_.num_classes;
  m.seed = static_cast<uint64_t>(o_.run.model_seed);
  m.rule = o_.rule.layer;
  // KP's decay gradient by B's optimizer (feedback_optimizer_options adds the weight decay).
  m.rule.regularizer.decay_grad_by_optimizer = feedback_decay_by_optimizer(o_.rule);
  m.projection_dim = task_->projection_dim();
  model_ = build_model(m);
  model_->to(device_);
  to_memory_format(*model_, compute_);
  model_->train();
  if (dp_) {
    // Rank 0's initial state everywhere (the seeds agree already; this guards
    // hosts whose kernels initialise differently), then gradient averaging.
    std::vector<torch::Tensor> state, trained;
    for (auto& p : model_->parameters()) {
      state.push_back(p.data());
      if (p.requires_grad()) trained.push_back(p);
    }
    for (auto& b : model_->buffers()) state.push_back(b);
    dp_->broadcast(state);
    dp_->attach_gradients(trained);
  }
}

void TrainingSession::set_up_optimizers() {
  const double base_lr = base_learning_rate(o_.optimizer, o_.run.batch_size);
  schedule_ = make_schedule(o_.schedule, base_lr, spe_);
  const ParamGroups groups = model_param_groups(*model_);
  optimizer_ = make_optimizer(o_.optimizer, ParamGroups{groups.decayed, groups.not_decayed, {}}, base_lr);
  // Trainable feedback kernels B get an optimizer of their own, not weight-decayed (§4.2)
  // except by the decay term of B's own loss where that is all of it (KP).
  const FeedbackTraining& fb = o_.rule.feedback;
  feedback_lr_scale_ = fb.lr > 0 ? fb.lr / base_lr : 1.0;
  if (!groups.feedback.empty())
    feedback_optimizer_ = make_optimizer(feedback_optimizer_options(o_), ParamGroups{groups.feedback, {}, {}},
                                         base_lr * feedback_lr_scale_);
  optimizers_ = {{"optimizer", optimizer_.get()}, {"feedback_optimizer", feedback_optimizer_.get()}};
}

// Rank 0's resume: the newest checkpoint that loads. One that does not (cut short by
// a crash of the machine or a copy) is renamed to step_N.pt.corrupt, not deleted,
// with one warning line, and the one before it is tried (keep_checkpoints keeps 2).
int64_t TrainingSession::load_newest_checkpoint() {
  const auto checkpoints = list_checkpoints(run_dir_);
  std::string first_error;
  for (auto it = checkpoints.rbegin(); it != checkpoints.rend(); ++it) {
    try {
      state_ = load_checkpoint(it->second.string(), *model_, optimizers_);
    } catch (const CorruptCheckpointError& e) {
      if (first_error.empty()) first_error = e.what();
      fs::path aside = it->second;
      aside += ".corrupt";
      std::error_code ec;
      fs::rename(it->second, aside, ec);
      const auto next = std::next(it);
      const std::string moved = ec ? "could not rename it aside (" + ec.message() + ")"
                                   : "renamed it to " + aside.filename().string();
      warn(fmt::format("{}; {}{}", e.what(), moved,
                       next == checkpoints.rend() ? "" : fmt::format(", resuming from step {}", next->first)));
      continue;
    }
    return it->first;
  }
  if (!first_error.empty())
    throw IoError(fmt::format("{}: no checkpoint loads (the newest: {}); remove the run directory to start afresh",
                              (run_dir_ / "checkpoints").string(), first_error));
  return -1;
}

void TrainingSession::resume_and_open_logs() {
  int64_t resume_step = -1;
  std::exception_ptr failure;
  if (train_options_.resume && root_) {
    try {
      resume_step = load_newest_checkpoint();
    } catch (const Error&) {
      if (!dp_) throw;
      failure = std::current_exception();  // told to the other ranks first, so that none waits for rank 0
      resume_step = -2;
    }
  }
  if (dp_) {  // rank 0's checkpoint, read by every other rank (the run directory is shared)
    torch::Tensor t = torch::tensor({resume_step}, torch::kInt64).to(device_);
    dp_->broadcast({t});
    resume_step = t.item<int64_t>();
  }
  if (failure) std::rethrow_exception(failure);
  if (resume_step == -2)
    throw DistributedError(fmt::format("rank {}: rank 0 could not resume (see its message)", shard_.index));
  resumed_ = resume_step >= 0;
  if (resumed_ && !root_) {
    const fs::path file = run_dir_ / "checkpoints" / fmt::format("step_{}.pt", resume_step);
    if (!fs::exists(file))
      throw DistributedError(fmt::format("rank {}: cannot see rank 0's checkpoint {}: the run directory must be on "
                                         "a file system every rank shares", shard_.index, file.string()));
    state_ = load_checkpoint(file.string(), *model_, optimizers_);
  }
  if (!root_) return;  // rank 0 alone writes logs, streams and status
  metrics_ = std::make_unique<MetricsLog>(
      run_dir_ / "metrics.csv", "step,epoch,split,loss,accuracy,alignment_loss,lr,record_time_s,wall_time_s",
      state_.step);
  if (o_.observables) {  // streams start afresh unless a checkpoint is resumed
    const auto model_seed = static_cast<uint64_t>(o_.run.model_seed), data_seed = static_cast<uint64_t>(o_.run.data_seed);
    recorder_ = std::make_unique<Recorder>(*o_.observables, run_dir_.filename().string(), mix_seed(model_seed, data_seed),
                                           run_dir_, model_->layers(), total_, spe_, resumed_ ? state_.step : -1);
    const auto idx = probe_indices(data_.test->size(), o_.observables->probe_size, o_.observables->probe_seed);
    recorder_->set_probe(to_memory_format(test_loader_->preprocess(data_.test->images(idx)).to(device_), compute_));
  }
  if (o_.rule.metrics_every > 0)
    angles_ = std::make_unique<MetricsLog>(run_dir_ / "alignment.csv", "step,layer,weight_angle,gradient_angle",
                                           state_.step);
  RunStatus status;
  status.status = "running";
  status.step = state_.step;
  status.total_steps = total_;
  write_status(run_dir_, status);
}

void TrainingSession::train_step(int64_t step) {
  const auto ts = Clock::now();
  const int64_t epoch = step / spe_;
  Batch batch = train_loader_->batch(epoch, step % spe_, shard_);
  batch.images = to_memory_format(batch.images.to(device_), compute_);
  batch.labels = batch.labels.to(device_);
  // Dropout's generator: a stream per step, and per rank beyond rank 0.
  uint64_t step_seed = mix_seed(static_cast<uint64_t>(o_.run.model_seed), static_cast<uint64_t>(step));
  if (shard_.index > 0) step_seed = mix_seed(step_seed, static_cast<uint64_t>(shard_.index));
  torch::manual_seed(step_seed);
  lr_ = schedule_.at(step);
  set_learning_rate(*optimizer_, lr_);
  optimizer_->zero_grad();
  if (feedback_optimizer_) {
    set_learning_rate(*feedback_optimizer_, lr_ * feedback_lr_scale_);
    feedback_optimizer_->zero_grad();
  }
  const bool probe_angles = angles_ && (step + 1) % o_.rule.metrics_every == 0;
  if (probe_angles && root_)
    for (const auto& l : model_->layers()) l.layer->probe() = AlignmentProbe{true};
  TaskOutput out;
  torch::Tensor align, objective;
  if (dp_) dp_->before_forward();
  {
    AutocastScope autocast(device_, compute_);  // the forward passes only
    out = task_->loss(*model_, batch);
    // total = task loss + alignment_rate * sum of layer-local losses (§5.1); the
    // parameter sets are disjoint, so one backward pass serves W and B.
    align = model_->take_alignment_loss();
    objective = align.defined() ? out.loss + o_.rule.feedback.alignment_rate * align : out.loss;
  }
  // fp16: the objective scaled against underflow, the gradients unscaled, and
  // the step skipped (both optimizers) when a gradient is non-finite.
  torch::Tensor scaled = scaler_ ? scaler_->scale(objective) : objective;
  if (dp_) dp_->before_backward(scaled);  // the buckets are all-reduced as backward() fills them
  scaled.backward();
  if (scaler_) scaler_->unscale(model_->parameters());
  if (!scaler_ || scaler_->finite()) {
    optimizer_->step();
    if (feedback_optimizer_) feedback_optimizer_->step();
  }
  if (scaler_) scaler_->update();
  window_->add(out, align);
  if (!dp_ && device_.is_cpu()) {
    last_objective_ = objective.item<double>();
    last_align_ = align.defined() ? align.item<double>() : 0.0;
  }
  if (probe_angles && root_) record_angles(step + 1);
  state_.train_time_s += std::chrono::duration<double>(Clock::now() - ts).count();
}

void TrainingSession::record_angles(int64_t done) {
  for (const auto& l : model_->layers()) {
    AlignmentProbe& pr = l.layer->probe();
    if (pr.filled) angles_->line(fmt::format("{},{},{:.6g},{:.6g}", done, l.name, pr.weight_angle, pr.gradient_angle));
    pr = AlignmentProbe{};
  }
}

// A metrics.csv training row every log_every steps; false when the loss went non-finite.
bool TrainingSession::log_train(int64_t done) {
  if (done % o_.run.log_every != 0 && done != total_) return true;
  reduce_window();
  const double mean_loss = window_->mean_loss(), acc = window_->accuracy(), mean_align = window_->mean_align();
  if (!std::isfinite(mean_loss) || !std::isfinite(mean_align)) return false;
  const double epoch = static_cast<double>(done) / static_cast<double>(spe_);
  if (!root_) {
    window_->reset();
    return true;
  }
  metrics_->line(fmt::format("{},{:.6f},train,{:.9g},{:.9g},{:.9g},{:.9g},{:.3f},{:.3f}", done, epoch, mean_loss, acc,
                             mean_align, lr_, state_.record_time_s, wall()));
  progress_->update(done, fmt::format("loss {:.4f} acc {:.3f}", mean_loss, acc));
  window_->reset();
  return true;
}

// Before a checkpoint: the window's sums over every rank move into rank 0's
// (which the checkpoint keeps), the others' start again from zero; the next
// reduce_window() then sums the same totals.
void TrainingSession::fold_window_into_root() {
  if (!dp_) return;
  const int64_t images = sum_window_over_ranks();
  if (root_) {
    window_->images = images;
  } else {
    const int64_t batches = window_->batches;  // steps since the row: the same on every rank
    window_->reset();
    window_->batches = batches;
  }
}

// The window's sums over every rank: loss and alignment loss as means of the
// ranks' per-batch means (equal shards), accuracy over all images.
void TrainingSession::reduce_window() {
  if (!dp_) return;
  window_->images = sum_window_over_ranks();
  window_->loss /= dp_->world_size();
  window_->align /= dp_->world_size();
}

// The window's loss, correct and alignment sums, in place, and its image count
// (returned), summed over the ranks.
int64_t TrainingSession::sum_window_over_ranks() {
  torch::Tensor images = torch::tensor({window_->images}, torch::kInt64).to(device_);
  dp_->all_reduce_sum({window_->loss, window_->correct, window_->align, images});
  return images.item<int64_t>();
}

// A metrics.csv test row every eval_every epochs; false when the test loss went non-finite.
bool TrainingSession::evaluate_test(int64_t done) {
  if (done % steps_every(o_.run.eval_every) != 0 && done != total_) return true;
  if (root_) last_eval_ = evaluate(*model_, *task_, *test_loader_, device_, compute_);
  if (dp_) {  // rank 0's evaluation, so that every rank stops on a non-finite test loss
    torch::Tensor t = torch::tensor({last_eval_.loss, last_eval_.accuracy}, torch::kFloat64).to(device_);
    dp_->broadcast({t});
    last_eval_ = Evaluation{t[0].item<double>(), t[1].item<double>()};
  }
  if (!std::isfinite(last_eval_.loss)) return false;
  if (!root_) return true;
  const double epoch = static_cast<double>(done) / static_cast<double>(spe_);
  metrics_->line(fmt::format("{},{:.6f},test,{:.9g},{:.9g},,{:.9g},{:.3f},{:.3f}", done, epoch, last_eval_.loss,
                             last_eval_.accuracy, lr_, state_.record_time_s, wall()));
  return true;
}

void TrainingSession::record(int64_t step) {
  if (!root_ || !recorder_ || !recorder_->due(step)) return;
  ModelImpl& model = *model_;
  Task& task = *task_;
  state_.record_time_s +=
      recorder_->record(model, [&](const torch::Tensor& x) { return task.probe_forward(model, x); }, step);
}

void TrainingSession::save_at(int64_t step) {
  state_.step = step;
  state_.wall_time_s = wall();
  state_.window_loss = window_->loss.item<double>();
  state_.window_align = window_->align.item<double>();
  state_.window_correct = window_->correct.item<int64_t>();
  state_.window_images = window_->images;
  state_.window_batches = window_->batches;
  save_checkpoint((run_dir_ / "checkpoints" / fmt::format("step_{}.pt", step)).string(), *model_, optimizers_, state_);
}

void TrainingSession::checkpoint(int64_t step) {
  if (step % steps_every(o_.run.checkpoint_every) != 0 && step != total_) return;
  fold_window_into_root();
  saved_step_ = step;  // on every rank, so that all agree whether interrupted() must save
  if (!root_) return;
  save_at(step);
  const auto all = list_checkpoints(run_dir_);
  const auto keep = static_cast<std::size_t>(o_.run.keep_checkpoints);
  std::error_code ec;
  for (std::size_t i = 0; i + keep < all.size(); ++i) fs::remove(all[i].second, ec);
}

// Where a divergence shows and what to change: the first layer (input to
// output) whose W or B holds a non-finite value, and the step size that moves it.
std::string TrainingSession::divergence_hint() {
  torch::NoGradGuard no_grad;
  for (const auto& l : model_->layers()) {
    const bool w_bad = !torch::isfinite(l.layer->weight()).all().item<bool>();
    const torch::Tensor& b = l.layer->feedback();
    const bool b_bad = b.defined() && !torch::isfinite(b).all().item<bool>();
    if (!w_bad && !b_bad) continue;
    if (b_bad && !w_bad && feedback_optimizer_)
      return fmt::format("rule {}: layer {}'s B went non-finite first; lower rule.parameters.feedback_lr (now {}) "
                         "or set rule.parameters.feedback_optimizer=adam", o_.rule_type, l.name,
                         o_.rule.feedback.lr > 0 ? fmt::format("{}", o_.rule.feedback.lr) : "W's");
    return fmt::format("rule {}: layer {}'s {} went non-finite first; lower optimizer.parameters.lr (now {})",
                       o_.rule_type, l.name, w_bad && b_bad ? "W and B" : (w_bad ? "W" : "B"), o_.optimizer.lr);
  }
  if (feedback_optimizer_ && !std::isfinite(last_align_))
    return fmt::format("rule {}: B's alignment loss went non-finite while every W and B is finite; lower "
                       "rule.parameters.feedback_lr (now {}) or set rule.parameters.feedback_optimizer=adam",
                       o_.rule_type, o_.rule.feedback.lr > 0 ? fmt::format("{}", o_.rule.feedback.lr) : "W's");
  return fmt::format("rule {}: the loss went non-finite while every W and B is finite; lower optimizer.parameters.lr "
                     "(now {})", o_.rule_type, o_.optimizer.lr);
}

TrainResult TrainingSession::diverged(int64_t step, const std::string& reason) {
  TrainResult result;
  result.status = "diverged";
  result.reason = reason;
  result.steps = step;
  result.rank = shard_.index;
  result.device = device_.str();
  RunStatus s;
  s.status = "diverged";
  s.reason = reason;
  s.step = step;
  s.total_steps = total_;
  if (root_) write_status(run_dir_, s);
  progress_->finish("diverged");
  return result;
}

// Whether to stop at this step boundary: asked by a signal, agreed by every
// rank (each may see its SIGTERM at another step; all stop at the same one).
// Ranks agree every kStopCheckEvery steps only, so that a step carries no
// collective (and no wait for the slowest rank) beyond the gradients'.
bool TrainingSession::stop_requested(int64_t done) {
  const bool mine = train_options_.stop_requested && train_options_.stop_requested->load();
  if (!dp_) return mine;
  constexpr int64_t kStopCheckEvery = 16;
  if (done % kStopCheckEvery != 0) return false;
  torch::Tensor any = torch::tensor({mine ? int64_t{1} : int64_t{0}}, torch::kInt64).to(device_);
  dp_->all_reduce_sum({any});
  return any.item<int64_t>() > 0;
}

// Stopped on request after `done` steps: a checkpoint there (unless one was just
// written), status.json says so, and the same command resumes from that step.
TrainResult TrainingSession::interrupted(int64_t done) {
  if (saved_step_ != done) {
    fold_window_into_root();
    saved_step_ = done;
    if (root_) save_at(done);
  }
  TrainResult r;
  r.status = "interrupted";
  r.reason = fmt::format("stopped by a signal after step {} of {}; a checkpoint holds it", done, total_);
  r.steps = done;
  r.rank = shard_.index;
  r.device = device_.str();
  if (root_) {
    RunStatus s;
    s.status = "interrupted";
    s.reason = r.reason + "; run the same command again to resume";
    s.step = done;
    s.total_steps = total_;
    write_status(run_dir_, s);
  }
  progress_->finish("interrupted");
  return r;
}

TrainResult TrainingSession::run() {
  progress_ = std::make_unique<Progress>(fmt::format("train {}", run_dir_.filename().string()), total_,
                                         train_options_.progress);
  progress_->set_start(state_.step);
  t0_ = Clock::now();
  wall0_ = state_.wall_time_s;
  window_ = std::make_unique<TrainWindow>(device_);
  if (resumed_ && root_) {  // the rows' window as the checkpoint left it
    window_->loss.fill_(state_.window_loss);
    window_->align.fill_(state_.window_align);
    window_->correct.fill_(state_.window_correct);
    window_->images = state_.window_images;
    window_->batches = state_.window_batches;
  } else if (resumed_) {
    window_->batches = state_.window_batches;
  }
  if (!resumed_) record(0);  // the initialisation, before any update
  for (int64_t step = state_.step; step < total_; ++step) {
    if (train_options_.stop_at_step >= 0 && step == train_options_.stop_at_step) {
      TrainResult r;
      r.status = "interrupted";
      r.steps = step;
      return r;
    }
    train_step(step);
    const int64_t done = step + 1;
    // One process on a CPU: caught at the step it happens (no device to wait for, no ranks to agree).
    if (!dp_ && device_.is_cpu() && !std::isfinite(last_objective_))
      return diverged(done, fmt::format("non-finite training objective ({}) at step {}; {}", last_objective_, done,
                                        divergence_hint()));
    if (!log_train(done)) {
      const double loss = window_->mean_loss();
      return std::isfinite(loss)
                 ? diverged(done, fmt::format("non-finite alignment loss ({}) by step {}; {}", window_->mean_align(),
                                              done, divergence_hint()))
                 : diverged(done, fmt::format("non-finite training loss ({}) by step {}; {}", loss, done,
                                              divergence_hint()));
    }
    if (!evaluate_test(done))
      return diverged(done, fmt::format("non-finite test loss ({}) at step {}", last_eval_.loss, done));
    record(done);  // before the checkpoint, so a resumed run never records a point twice
    checkpoint(done);
    if (done < total_ && stop_requested(done)) return interrupted(done);
  }
  return finish();
}

TrainResult TrainingSession::finish() {
  progress_->finish(fmt::format("test acc {:.4f}", last_eval_.accuracy));
  TrainResult result;
  result.status = "finished";
  result.steps = total_;
  result.rank = shard_.index;
  result.test_accuracy = last_eval_.accuracy;
  result.test_loss = last_eval_.loss;
  result.wall_time_s = wall();
  result.device = device_.str();
  const double trained_images = static_cast<double>(total_) * static_cast<double>(o_.run.batch_size);
  result.train_images_per_s = state_.train_time_s > 0 ? trained_images / state_.train_time_s : 0.0;
  RunStatus done;
  done.status = "finished";
  done.step = done.total_steps = total_;
  done.result = RunStatus::Result{result.test_accuracy, result.test_loss,         result.wall_time_s,
                                  state_.train_time_s,   state_.record_time_s,     result.train_images_per_s,
                                  result.device,         threads_,                 shard_.count,
                                  version(),             git_commit()};
  if (root_) write_status(run_dir_, done);  // last: marks the run finished
  return result;
}

}  // namespace

namespace {

// Rank 0 inspects the run directory and tells the others what it found and
// the drawn seeds it adopted; a failure there stops every rank.
RunDirectoryState agree_on_run_directory(Config& config, const fs::path& run_dir, DataParallel* dp) {
  RunDirectoryState state;
  std::exception_ptr failure;
  if (!dp || dp->rank() == 0) {
    try {
      state = adopt_run_directory(config, run_dir);
    } catch (...) {
      failure = std::current_exception();
    }
  }
  if (!dp) {
    if (failure) std::rethrow_exception(failure);
    return state;
  }
  // [failed, existing, finished, the drawn seeds...] from rank 0.
  std::vector<int64_t> v = {failure ? 1 : 0, state.existing ? 1 : 0, state.finished ? 1 : 0};
  for (const auto& key : config.drawn_seeds) v.push_back(config.run.params.get_int(key));
  torch::Tensor t = torch::tensor(v, torch::kInt64);
  if (dp->backend_name() == "nccl") t = t.cuda();
  dp->broadcast({t});
  t = t.cpu();
  if (failure) std::rethrow_exception(failure);
  if (t[0].item<int64_t>() != 0)
    throw DistributedError(fmt::format("rank {}: rank 0 could not open {} (see its message)", dp->rank(),
                                       run_dir.string()));
  state.existing = t[1].item<int64_t>() != 0;
  state.finished = t[2].item<int64_t>() != 0;
  for (std::size_t i = 0; i < config.drawn_seeds.size(); ++i)
    config.run.params.set(config.drawn_seeds[i], YAML::Node(t[static_cast<int64_t>(3 + i)].item<int64_t>()));
  return state;
}

// This rank's device: with several ranks on CUDA, the LOCAL_RANK-th visible GPU.
torch::Device rank_device(const Config& config, const RankEnvironment& env) {
  torch::Device device = resolve_device(run_options(config.run.params).device);
  if (device.is_cuda() && env.world_size > 1) {
    // NCCL wants a GPU per rank: two ranks on one GPU fail deep inside NCCL.
    const auto count = static_cast<int>(torch::cuda::device_count());
    if (env.local_world_size > count)
      throw DistributedError(fmt::format("{} ranks on this host but {} visible GPU(s): NCCL needs one GPU per rank "
                                         "(use fewer ranks, or run.parameters.device=cpu for Gloo)",
                                         env.local_world_size, count));
    device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env.local_rank % count));
  }
  return device;
}

}  // namespace

TrainResult train(const Config& config_in, const fs::path& run_dir, const TrainOptions& options) {
  Config config = config_in;
  resolve_compute_settings(config);  // before the directory is adopted: config.yaml records the resolved values
  const RankEnvironment env = options.ranks ? *options.ranks : rank_environment();
  Placement placement;
  placement.device = rank_device(config, env);
  placement.ranks_on_host = env.local_world_size;
  std::unique_ptr<DataParallel> dp;
  if (env.world_size > 1) {
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(options.collective_timeout_s * 1000));
    dp = std::make_unique<DataParallel>(env, placement.device, timeout);
    placement.dp = dp.get();
  }
  try {
    const RunDirectoryState state = agree_on_run_directory(config, run_dir, dp.get());
    if (state.finished && options.resume) {
      TrainResult r;
      r.status = "already-finished";
      r.rank = env.rank;
      return r;
    }
    TrainingSession session(config, training_options(config), run_dir, state, options, placement);
    return session.run();
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {
    // A collective failed: a rank is gone or unreachable. Name it, in one line.
    if (!dp) throw;
    throw DistributedError(dp->describe_failure(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    if (!dp) throw;
    throw DistributedError(dp->describe_failure(e.what()));
  }
}

}  // namespace lrid

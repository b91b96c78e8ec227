// Conv1D MLP trajectory classifier: network, loss, Adam training loop,
// prediction and serialisation (science.md §6.6; see conv1d_mlp.h).
#include "classifiers/conv1d_mlp.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "classifiers/archive_io.h"
#include "core/errors.h"
#include "core/seeding.h"

namespace lrid {

namespace {

// Stream tags mixed into the options' seed (ASCII "init" and "shuf").
constexpr uint64_t kInitStream = 0x696e6974ULL;
constexpr uint64_t kShuffleStream = 0x73687566ULL;
constexpr int64_t kArchiveVersion = 1;

// Glorot/Xavier uniform: U(-b, b) with b = sqrt(6 / (fan_in + fan_out)).
void glorot_uniform_(torch::Tensor& w, int64_t fan_in, int64_t fan_out, torch::Generator& gen) {
  const double bound = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  w.uniform_(-bound, bound, gen);
}

int64_t read_int(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue v;
  archive.read(key, v);
  TORCH_CHECK(v.isInt(), "Conv1dMlp archive: '", key, "' is not an integer");
  return v.toInt();
}

double read_double(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue v;
  archive.read(key, v);
  TORCH_CHECK(v.isDouble(), "Conv1dMlp archive: '", key, "' is not a double");
  return v.toDouble();
}

}  // namespace

Conv1dPooling parse_conv1d_pooling(const std::string& name) {
  if (name == "none") return Conv1dPooling::kNone;
  if (name == "max") return Conv1dPooling::kMax;
  if (name == "avg") return Conv1dPooling::kAvg;
  throw ConfigError(fmt::format("conv1d_mlp: pooling must be one of none, max, avg; got '{}'", name));
}

// ---------------------------------------------------------------- options

void Conv1dMlpOptions::validate() const {
  if (filters < 1) throw ConfigError(fmt::format("conv1d_mlp: filters must be >= 1, got {}", filters));
  if (kernel < 1) throw ConfigError(fmt::format("conv1d_mlp: kernel must be >= 1, got {}", kernel));
  if (stride < 1) throw ConfigError(fmt::format("conv1d_mlp: stride must be >= 1, got {}", stride));
  parse_conv1d_pooling(pooling);
  if (!(std::isfinite(lr) && lr > 0.0))
    throw ConfigError(fmt::format("conv1d_mlp: lr must be finite and > 0, got {}", lr));
  if (!(std::isfinite(weight_decay) && weight_decay >= 0.0))
    throw ConfigError(fmt::format("conv1d_mlp: weight_decay must be finite and >= 0, got {}", weight_decay));
  if (batch_size < 1) throw ConfigError(fmt::format("conv1d_mlp: batch_size must be >= 1, got {}", batch_size));
  if (epochs < 0) throw ConfigError(fmt::format("conv1d_mlp: epochs must be >= 0, got {}", epochs));
}

void Conv1dMlpOptions::validate(int64_t T) const {
  if (T < 1) throw ConfigError(fmt::format("conv1d_mlp: trajectories need >= 1 time point, got {}", T));
  validate();
  if (kernel > T)
    throw ConfigError(fmt::format("conv1d_mlp: kernel {} exceeds the {} time points", kernel, T));
}

int64_t Conv1dMlpOptions::output_length(int64_t T) const { return (T - kernel) / stride + 1; }

// ---------------------------------------------------------------- network

Conv1dMlpNetImpl::Conv1dMlpNetImpl(const Conv1dMlpOptions& o, int64_t time_points, int64_t channels,
                                   int64_t num_classes)
    : time_points_(time_points), channels_(channels), num_classes_(num_classes) {
  o.validate(time_points);
  if (channels < 1) throw ConfigError(fmt::format("conv1d_mlp: channels must be >= 1, got {}", channels));
  if (num_classes < 2)
    throw ConfigError(fmt::format("conv1d_mlp: num_classes must be >= 2, got {}", num_classes));
  pooling_ = parse_conv1d_pooling(o.pooling);
  out_len_ = o.output_length(time_points);
  feature_dim_ = pooling_ == Conv1dPooling::kNone ? out_len_ * o.filters : o.filters;
  conv = register_module(
      "conv", torch::nn::Conv1d(torch::nn::Conv1dOptions(channels, o.filters, o.kernel).stride(o.stride).bias(true)));
  fc = register_module("fc", torch::nn::Linear(torch::nn::LinearOptions(feature_dim_, num_classes).bias(true)));
  torch::NoGradGuard no_grad;
  for (auto& p : parameters()) p.zero_();
}

void Conv1dMlpNetImpl::reset(torch::Generator& gen) {
  torch::NoGradGuard no_grad;
  const int64_t F = conv->weight.size(0), C = conv->weight.size(1), k = conv->weight.size(2);
  glorot_uniform_(conv->weight, k * C, k * F, gen);  // TF fans: receptive field * channels
  glorot_uniform_(fc->weight, feature_dim_, num_classes_, gen);
  conv->bias.zero_();
  fc->bias.zero_();
}

torch::Tensor Conv1dMlpNetImpl::features(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 3 && x.size(1) == time_points_ && x.size(2) == channels_,
              "Conv1dMlpNet: expected input [B, ", time_points_, ", ", channels_, "], got ", x.sizes());
  // The convolution as im2col + GEMM over the [B, T, C] layout: faster than
  // ATen's CPU conv1d at these small sizes, and already time-major. Same
  // parameters and result as conv->forward(x.transpose(1, 2)).transpose(1, 2).
  const int64_t B = x.size(0), F = conv->weight.size(0), k = conv->weight.size(2);
  const int64_t s = conv->options.stride()->at(0);
  // [B, T, C] -> windows [B, L, C, k] -> [B*L, C*k] (a view when k = 1 and s = 1)
  torch::Tensor cols = x.unfold(1, k, s).reshape({B * out_len_, channels_ * k});
  // [B*L, F] -> [B, L, F]; weight [F, C, k] flattens to c*k + j like the windows
  torch::Tensor h = torch::relu(torch::linear(cols, conv->weight.view({F, channels_ * k}), conv->bias))
                        .view({B, out_len_, F});
  switch (pooling_) {
    case Conv1dPooling::kMax: return h.amax(1);  // [B, F]
    case Conv1dPooling::kAvg: return h.mean(1);  // [B, F]
    case Conv1dPooling::kNone: break;
  }
  return h.view({B, out_len_ * F});  // [B, L*F], index l*F + f
}

torch::Tensor Conv1dMlpNetImpl::forward(const torch::Tensor& x) { return fc->forward(features(x)); }

torch::Tensor Conv1dMlpNetImpl::penalty(double weight_decay) const {
  torch::Tensor sq = conv->weight.square().sum() + conv->bias.square().sum() + fc->weight.square().sum() +
                     fc->bias.square().sum();
  return 0.5 * weight_decay * sq;
}

// ---------------------------------------------------------------- classifier

Conv1dMlp::Conv1dMlp(Conv1dMlpOptions o) : options_(std::move(o)) {}

void Conv1dMlp::initialize(int64_t time_points, int64_t channels, int64_t num_classes) {
  net_ = Conv1dMlpNet(options_, time_points, channels, num_classes);  // validates
  torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(mix_seed(options_.seed, kInitStream));
  net_->reset(gen);
  optimizer_ = std::make_unique<torch::optim::Adam>(
      net_->parameters(),
      torch::optim::AdamOptions(options_.lr).betas({0.9, 0.999}).eps(1e-8).weight_decay(0.0));
  epoch_losses_.clear();
}

torch::Tensor Conv1dMlp::loss(const torch::Tensor& xb, const torch::Tensor& yb) const {
  TORCH_CHECK(fitted(), "Conv1dMlp::loss: call initialize or fit first");
  torch::Tensor logits = net_.ptr()->forward(xb);                    // [B, K]
  torch::Tensor ce = torch::nn::functional::cross_entropy(logits, yb);  // mean over B
  if (options_.weight_decay == 0.0) return ce;
  return ce + net_->penalty(options_.weight_decay);
}

double Conv1dMlp::train_step(const torch::Tensor& xb, const torch::Tensor& yb) {
  TORCH_CHECK(optimizer_, "Conv1dMlp::train_step: call initialize first");
  optimizer_->zero_grad();
  torch::Tensor l = loss(xb, yb);
  l.backward();
  optimizer_->step();
  return l.item<double>();
}

void Conv1dMlp::check_input(const torch::Tensor& x, const char* what) const {
  TORCH_CHECK(x.defined() && x.dim() == 3, "Conv1dMlp::", what, ": x must be [n, T, C], got ",
              x.defined() ? x.sizes() : c10::IntArrayRef{});
  TORCH_CHECK(x.scalar_type() == torch::kFloat32, "Conv1dMlp::", what, ": x must be float32, got ", x.scalar_type());
  TORCH_CHECK(x.device().is_cpu(), "Conv1dMlp::", what, ": x must be on the CPU");
  if (!torch::isfinite(x).all().item<bool>())
    throw DataError(fmt::format("conv1d_mlp: {}: x contains NaN or infinite values", what));
}

void Conv1dMlp::fit(const torch::Tensor& x, const torch::Tensor& y, int64_t num_classes) {
  check_input(x, "fit");
  TORCH_CHECK(y.defined() && y.dim() == 1 && y.scalar_type() == torch::kInt64,
              "Conv1dMlp::fit: y must be int64 [n]");
  TORCH_CHECK(y.device().is_cpu(), "Conv1dMlp::fit: y must be on the CPU");
  const int64_t n = x.size(0), T = x.size(1), C = x.size(2);
  TORCH_CHECK(y.size(0) == n, "Conv1dMlp::fit: ", n, " rows in x but ", y.size(0), " labels");
  // Every option before any compute; then the data-dependent batch check.
  options_.validate(T);
  if (num_classes < 2)
    throw ConfigError(fmt::format("conv1d_mlp: num_classes must be >= 2, got {}", num_classes));
  if (options_.batch_size > n)
    throw ConfigError(fmt::format("conv1d_mlp: batch_size {} exceeds the {} training rows", options_.batch_size, n));
  if (n > 0 && (y.min().item<int64_t>() < 0 || y.max().item<int64_t>() >= num_classes))
    throw DataError(fmt::format("conv1d_mlp: labels must lie in [0, {})", num_classes));

  initialize(T, C, num_classes);
  const torch::Tensor xc = x.contiguous(), yc = y.contiguous();
  const int64_t bs = options_.batch_size, batches = n / bs;  // last incomplete batch dropped
  torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(mix_seed(options_.seed, kShuffleStream));
  // Preallocated per-epoch permutation and batch buffers (reused every step).
  torch::Tensor perm = torch::empty({n}, torch::kInt64);
  torch::Tensor xb = torch::empty({bs, T, C}, torch::kFloat32);
  torch::Tensor yb = torch::empty({bs}, torch::kInt64);
  epoch_losses_.reserve(static_cast<std::size_t>(options_.epochs));
  for (int64_t e = 0; e < options_.epochs; ++e) {
    torch::randperm_out(perm, n, gen);
    double total = 0.0;
    for (int64_t b = 0; b < batches; ++b) {
      const torch::Tensor idx = perm.narrow(0, b * bs, bs);
      torch::index_select_out(xb, xc, 0, idx);
      torch::index_select_out(yb, yc, 0, idx);
      total += train_step(xb, yb);
    }
    const double mean = total / static_cast<double>(batches);
    if (!std::isfinite(mean))
      throw DivergenceError(fmt::format("conv1d_mlp: non-finite training loss at epoch {}", e));
    epoch_losses_.push_back(mean);
  }
}

torch::Tensor Conv1dMlp::predict_proba(const torch::Tensor& x) const {
  TORCH_CHECK(fitted(), "Conv1dMlp::predict_proba: the classifier is not fitted");
  check_input(x, "predict_proba");
  torch::NoGradGuard no_grad;
  torch::Tensor logits = net_.ptr()->forward(x);  // full set in one pass, [n, K]
  return torch::softmax(logits.to(torch::kFloat64), 1);
}

torch::Tensor Conv1dMlp::predict(const torch::Tensor& x) const { return predict_proba(x).argmax(1); }

void Conv1dMlp::save(torch::serialize::OutputArchive& archive) const {
  TORCH_CHECK(fitted(), "Conv1dMlp::save: the classifier is not fitted");
  archive.write("conv1d_mlp_version", c10::IValue(kArchiveVersion));
  archive.write("filters", c10::IValue(options_.filters));
  archive.write("kernel", c10::IValue(options_.kernel));
  archive.write("stride", c10::IValue(options_.stride));
  archive.write("pooling", c10::IValue(options_.pooling));
  archive.write("lr", c10::IValue(options_.lr));
  archive.write("weight_decay", c10::IValue(options_.weight_decay));
  archive.write("batch_size", c10::IValue(options_.batch_size));
  archive.write("epochs", c10::IValue(options_.epochs));
  archive.write("seed", c10::IValue(seed_to_bits(options_.seed)));
  archive.write("time_points", c10::IValue(net_->time_points()));
  archive.write("channels", c10::IValue(net_->channels()));
  archive.write("num_classes", c10::IValue(net_->num_classes()));
  torch::serialize::OutputArchive net_archive;
  net_->save(net_archive);
  archive.write("net", net_archive);
}

void Conv1dMlp::load(torch::serialize::InputArchive& archive) {
  const int64_t version = read_int(archive, "conv1d_mlp_version");
  TORCH_CHECK(version == kArchiveVersion, "Conv1dMlp::load: unsupported archive version ", version);
  Conv1dMlpOptions o;
  o.filters = read_int(archive, "filters");
  o.kernel = read_int(archive, "kernel");
  o.stride = read_int(archive, "stride");
  c10::IValue pooling;
  archive.read("pooling", pooling);
  TORCH_CHECK(pooling.isString(), "Conv1dMlp archive: 'pooling' is not a string");
  o.pooling = pooling.toStringRef();
  o.lr = read_double(archive, "lr");
  o.weight_decay = read_double(archive, "weight_decay");
  o.batch_size = read_int(archive, "batch_size");
  o.epochs = read_int(archive, "epochs");
  o.seed = seed_from_bits(read_int(archive, "seed"));
  const int64_t T = read_int(archive, "time_points"), C = read_int(archive, "channels"),
                K = read_int(archive, "num_classes");
  options_ = o;
  initialize(T, C, K);  // validates, then the weights are overwritten
  torch::serialize::InputArchive net_archive;
  archive.read("net", net_archive);
  net_->load(net_archive);
}

}  // namespace lrid

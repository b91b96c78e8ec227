// Recordable layers, the TF-compatible initialisers and the layer factory.
// All random draws come from the factory's CPU generator, in construction order.
#include "models/layers.h"

#include "core/seeding.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

namespace lrid {

namespace F = torch::nn::functional;

namespace {

// Std of a standard normal truncated to (-2, 2): TF's variance-scaling divisor.
constexpr double kTruncatedStdFactor = 0.87962566103423978;

// Normal(0, std) truncated at ±2·std by redrawing out-of-bound entries, all of
// them at once per round. Only the first round scans the whole tensor; later
// rounds track the ~4.6% redrawn entries by index.
void truncated_normal_(torch::Tensor& w, double stddev, torch::Generator& gen) {
  // Flat [numel] view of w (a contiguous scratch copy if w is not contiguous).
  torch::Tensor flat = w.is_contiguous() ? w.view({-1}) : torch::empty({w.numel()}, w.options());
  flat.normal_(0.0, stddev, gen);
  if (stddev > 0.0) {
    const double bound = 2.0 * stddev;
    torch::Tensor idx = flat.abs().gt_(bound).nonzero().squeeze(1);  // [n_bad]
    while (idx.numel() > 0) {
      auto redraw = torch::empty({idx.numel()}, w.options()).normal_(0.0, stddev, gen);
      flat.index_copy_(0, idx, redraw);
      idx = idx.masked_select(redraw.abs() > bound);
    }
  }
  if (!w.is_contiguous()) w.copy_(flat.view(w.sizes()));
}

}  // namespace

void init_tensor(torch::Tensor& w, const Init& init, int64_t fan_in, int64_t fan_out,
                 torch::Generator& gen) {
  torch::NoGradGuard no_grad;
  switch (init.kind) {
    case Init::Kind::kVarianceScaling:
      TORCH_CHECK(fan_in > 0, "variance scaling needs fan_in > 0, got ", fan_in);
      truncated_normal_(w, std::sqrt(1.0 / static_cast<double>(fan_in)) / kTruncatedStdFactor, gen);
      break;
    case Init::Kind::kGlorotUniform: {
      TORCH_CHECK(fan_in + fan_out > 0, "Glorot uniform needs fan_in + fan_out > 0");
      const double limit = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
      w.uniform_(-limit, limit, gen);
      break;
    }
    case Init::Kind::kTruncatedNormal:
      TORCH_CHECK(init.stddev >= 0.0, "truncated normal needs stddev >= 0");
      truncated_normal_(w, init.stddev, gen);
      break;
    case Init::Kind::kNormal:
      TORCH_CHECK(init.stddev >= 0.0, "normal needs stddev >= 0");
      w.normal_(0.0, init.stddev, gen);
      break;
    case Init::Kind::kZeros:
      w.zero_();
      break;
  }
}

const char* position_name(LayerPosition p) {
  switch (p) {
    case LayerPosition::kEarly:
      return "early";
    case LayerPosition::kMiddle:
      return "middle";
    case LayerPosition::kDeep:
      return "deep";
  }
  return "unknown";
}

std::array<int64_t, 2> tf_same_padding(int64_t in, int64_t kernel, int64_t stride,
                                       int64_t dilation) {
  TORCH_CHECK(in >= 1 && kernel >= 1 && stride >= 1 && dilation >= 1,
              "tf_same_padding: sizes must be positive");
  const int64_t k_eff = (kernel - 1) * dilation + 1;
  const int64_t out = (in + stride - 1) / stride;
  const int64_t total = std::max<int64_t>((out - 1) * stride + k_eff - in, 0);
  return {total / 2, total - total / 2};
}

// ---------------------------------------------------------------------------
// RecordableLayerImpl

void RecordableLayerImpl::set_rule(const LayerRule& rule, torch::Tensor feedback) {
  TORCH_CHECK(!feedback_.defined(), "layer ", name_, ": the rule is set once");
  rule_ = rule;
  if (rule.feedback) {
    TORCH_CHECK(feedback.sizes() == weight().sizes(), "layer ", name_, ": B must have W's shape");
    feedback_ = register_parameter("feedback", std::move(feedback), rule.trainable_feedback);
  }
}

bool RecordableLayerImpl::wants_alignment_loss() const {
  return rule_.feedback && rule_.trainable_feedback && rule_.regularizer.active() && is_training() &&
         torch::GradMode::is_enabled();
}

torch::Tensor RecordableLayerImpl::finish(const torch::Tensor& x_in, torch::Tensor z) {
  torch::Tensor y = activation() == Activation::kRelu ? torch::relu(z) : z;
  if (capture_) {
    // Kept as-is (not detached): callers may differentiate y with respect to x_in.
    last_input_ = x_in;
    last_output_ = y;
  }
  return y;
}

// ---------------------------------------------------------------------------
// ConvLayerImpl

ConvLayerImpl::ConvLayerImpl(std::string name, ConvLayerOptions options_, torch::Generator& gen)
    : KernelLayerImpl(std::move(name), std::move(options_)) {
  const auto& o = options;
  TORCH_CHECK(o.in_channels() >= 1 && o.out_channels() >= 1 && o.kernel_size() >= 1, "conv layer ",
              name_, ": channels and kernel size must be positive");
  TORCH_CHECK(o.stride() >= 1 && o.dilation() >= 1 && o.groups() >= 1 && o.padding() >= 0,
              "conv layer ", name_, ": invalid stride, dilation, groups or padding");
  TORCH_CHECK(o.in_channels() % o.groups() == 0 && o.out_channels() % o.groups() == 0,
              "conv layer ", name_, ": channels must be divisible by groups");
  for (int64_t p : o.explicit_padding())
    TORCH_CHECK(p >= 0, "conv layer ", name_, ": explicit padding must be >= 0");

  const int64_t k = o.kernel_size();
  const int64_t in_per_group = o.in_channels() / o.groups();
  // OIHW kernel; TF fans: fan_in = k·k·C_in/G, fan_out = k·k·C_out.
  weight_ = register_parameter("weight", torch::empty({o.out_channels(), in_per_group, k, k}));
  init_tensor(weight_, o.init(), k * k * in_per_group, k * k * o.out_channels(), gen);
  if (o.bias()) bias_ = register_parameter("bias", torch::full({o.out_channels()}, o.bias_init()));
}

torch::Tensor ConvLayerImpl::forward(const torch::Tensor& x) {
  const auto& o = options;
  const Padding4& pad = o.explicit_padding();
  const bool padded = pad[0] != 0 || pad[1] != 0 || pad[2] != 0 || pad[3] != 0;
  // x_in: [N, C_in, H + top + bottom, W + left + right], the layer input proper.
  torch::Tensor x_in = padded ? F::pad(x, F::PadFuncOptions({pad[0], pad[1], pad[2], pad[3]})) : x;
  const int64_t s = o.stride(), p = o.padding(), d = o.dilation();
  const ConvGeometry geo{{s, s}, {p, p}, {d, d}, o.groups()};
  // The bias inside the convolution, as torch's conv2d adds it: one kernel in
  // the output's layout and dtype, and the bias gradient from the same
  // backward call (a separate add cost a bf16 channels-last KNet step a
  // strided reduction as long as its convolutions). z includes the bias.
  torch::Tensor z =
      rule_.feedback ? feedback_conv2d(x_in, weight_, feedback_, geo, rule_.tie_grad, &probe_, bias_)
                     : backprop_conv2d(x_in, weight_, geo, bias_);
  if (wants_alignment_loss())
    pending_loss_ = alignment_loss_conv(x_in, weight_, bias_, feedback_, geo, rule_.regularizer, z);
  return finish(x_in, std::move(z));
}

// ---------------------------------------------------------------------------
// DenseLayerImpl

DenseLayerImpl::DenseLayerImpl(std::string name, DenseLayerOptions options_, torch::Generator& gen)
    : KernelLayerImpl(std::move(name), std::move(options_)) {
  const auto& o = options;
  TORCH_CHECK(o.in_features() >= 1 && o.out_features() >= 1, "dense layer ", name_,
              ": feature counts must be positive");
  weight_ = register_parameter("weight", torch::empty({o.out_features(), o.in_features()}));
  init_tensor(weight_, o.init(), o.in_features(), o.out_features(), gen);
  if (o.bias()) bias_ = register_parameter("bias", torch::full({o.out_features()}, o.bias_init()));
}

torch::Tensor DenseLayerImpl::forward(const torch::Tensor& x) {
  // [N, ...] -> [N, in_features]
  torch::Tensor x_in = x.dim() == 2 ? x : x.reshape({x.size(0), -1});
  TORCH_CHECK(x_in.size(1) == options.in_features(), "dense layer ", name_, ": expected ",
              options.in_features(), " input features, got ", x_in.size(1));
  // [N, out], bias included (addmm), as for the convolution.
  torch::Tensor z = rule_.feedback ? feedback_linear(x_in, weight_, feedback_, rule_.tie_grad, &probe_, bias_)
                                   : torch::linear(x_in, weight_, bias_);
  if (wants_alignment_loss())
    pending_loss_ = alignment_loss_dense(x_in, weight_, bias_, feedback_, rule_.regularizer, z);
  return finish(x_in, std::move(z));
}

// ---------------------------------------------------------------------------
// LayerFactory

LayerFactory::LayerFactory(uint64_t seed, LayerRule rule)
    : gen_(at::make_generator<at::CPUGeneratorImpl>(seed)),
      // An independent stream for B: the model seed mixed with a fixed tag.
      feedback_gen_(at::make_generator<at::CPUGeneratorImpl>(mix_seed(seed, 0x6665656462616b42ULL))),  // "feedbakB"
      rule_(std::move(rule)) {}

void LayerFactory::attach_feedback(RecordableLayerImpl& layer, const Init& init, int64_t fan_in,
                                   int64_t fan_out) {
  if (!rule_.feedback) return;
  torch::NoGradGuard no_grad;
  torch::Tensor b = torch::empty_like(layer.weight());
  // Same initialiser as W, drawn independently (§4.1); copy_forward is the ablation B0 = W0.
  if (rule_.feedback_init == "copy_forward") b.copy_(layer.weight());
  else init_tensor(b, init, fan_in, fan_out, feedback_gen_);
  layer.set_rule(rule_, b);
}

ConvLayer LayerFactory::conv(const std::string& name, const ConvLayerOptions& options) {
  for (const auto& entry : layers_) TORCH_CHECK(entry.first != name, "duplicate layer name ", name);
  ConvLayer layer(name, options, gen_);
  const int64_t area = options.kernel_size() * options.kernel_size();
  attach_feedback(*layer, options.init(), area * options.in_channels() / options.groups(),
                  area * options.out_channels());
  layers_.emplace_back(name, layer.ptr());
  return layer;
}

DenseLayer LayerFactory::dense(const std::string& name, const DenseLayerOptions& options) {
  for (const auto& entry : layers_) TORCH_CHECK(entry.first != name, "duplicate layer name ", name);
  DenseLayer layer(name, options, gen_);
  attach_feedback(*layer, options.init(), options.in_features(), options.out_features());
  layers_.emplace_back(name, layer.ptr());
  return layer;
}

std::vector<LayerInfo> LayerFactory::layer_list(int64_t n_grouping) const {
  const auto n_layers = static_cast<int64_t>(layers_.size());
  const int64_t n = n_grouping < 0 ? n_layers : n_grouping;
  TORCH_CHECK(n <= n_layers, "layer_list: n_grouping ", n, " exceeds the ", n_layers,
              " layers built");
  const int64_t s = n / 3;  // floor(n/3) early, floor(n/3) middle, the rest deep
  std::vector<LayerInfo> out;
  out.reserve(layers_.size());
  for (int64_t i = 0; i < n_layers; ++i) {
    LayerInfo info;
    info.name = layers_[i].first;
    info.index = i;
    info.position = i < s       ? LayerPosition::kEarly
                    : i < 2 * s ? LayerPosition::kMiddle
                                : LayerPosition::kDeep;
    info.layer = layers_[i].second;
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace lrid

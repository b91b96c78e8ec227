// Alignment ops as custom autograd functions. See feedback_ops.h.
//
// Why custom functions: autograd would send the error down through W; the
// rules replace exactly that one term (g W -> g B) and keep every other
// gradient exact. One convolution_backward call with weight B gives both the
// input gradient through B and the weight gradient (which depends only on x
// and g), and the bias gradient too when the layer's bias is fused into the
// op, so FA costs what backprop costs. Where oneDNN's weight gradient runs
// far from peak (small output maps, tap_weight_grad.h), the weight gradient
// is the tap GEMM instead, and backprop layers there use this op with B = W
// (backprop_conv2d), so that backprop and the rules share the faster kernel.
#include "rules/feedback_ops.h"

#include "rules/tap_weight_grad.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <array>
#include <cmath>
#include <functional>
#include <optional>

namespace lrid {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// The layout ATen's convolution computes in (mkldnn and cuDNN alike):
// channels-last when the input or the kernel is. Output gradients handed to
// convolution_backward are put in it here, once; in any other layout the call
// would convert them itself (a one-channel input is contiguous in both
// layouts, so the input alone does not tell).
torch::MemoryFormat conv_layout(const torch::Tensor& input, const torch::Tensor& kernel) {
  const auto cl = torch::MemoryFormat::ChannelsLast;
  return input.suggest_memory_format() == cl || kernel.suggest_memory_format() == cl ? cl
                                                                                    : torch::MemoryFormat::Contiguous;
}

AlignmentProbe* probe_of(AutogradContext* ctx) {
  // The probe pointer travels as an integer: IValue cannot hold raw pointers.
  return reinterpret_cast<AlignmentProbe*>(ctx->saved_data["probe"].toInt());
}

// `sent` is undefined for a network's first layer (no input gradient): its
// gradient angle is NaN, its weight angle is still recorded.
void fill_probe(AlignmentProbe* probe, const torch::Tensor& w, const torch::Tensor& b,
                const torch::Tensor& sent, const std::function<torch::Tensor()>& backprop) {
  probe->weight_angle = angle_degrees(w, b);
  probe->gradient_angle = sent.defined() ? angle_degrees(sent, backprop()) : std::nan("");
  probe->filled = true;
}

// An absent bias goes to apply() as nullopt: an undefined Tensor argument
// would be taken for a graph input.
using OptionalBias = std::optional<torch::Tensor>;
OptionalBias optional_bias(const torch::Tensor& bias) { return bias.defined() ? OptionalBias(bias) : std::nullopt; }

// Whether the bias was given and wants a gradient: it is the 4th tensor input
// (x, W, B, bias), needs_input_grad counting tensor arguments only.
bool has_bias_grad(AutogradContext* ctx) {
  return ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(3);
}

// KP's B gets W's gradient. A copy: autograd may adopt a returned buffer as
// .grad, and W and B must not share one. Under bf16 the gradient is cast to
// B's fp32 directly (one pass, instead of a bf16 copy the engine casts again).
torch::Tensor tie_gradient(bool tie, const torch::Tensor& gw, const torch::Tensor& b) {
  if (!tie) return torch::Tensor();
  return gw.scalar_type() == b.scalar_type() ? gw.clone() : gw.to(b.scalar_type());
}

struct FeedbackLinearFn : public torch::autograd::Function<FeedbackLinearFn> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
                               const torch::Tensor& b, bool tie_grad, int64_t probe, const OptionalBias& bias_arg) {
    const torch::Tensor bias = bias_arg.value_or(torch::Tensor());
    // x in the compute dtype is what the backward needs; W and B stay the fp32 masters.
    const torch::Tensor xc = cast_for_op(x, op_compute_dtype(x));
    ctx->save_for_backward({xc, w, b});
    ctx->saved_data["tie"] = tie_grad;
    ctx->saved_data["probe"] = probe;
    ctx->saved_data["bias_dtype"] = bias.defined() ? bias.scalar_type() : xc.scalar_type();
    ctx->saved_data["has_bias"] = bias.defined();
    const torch::Tensor wc = cast_for_op(w, xc.scalar_type());
    return bias.defined() ? torch::addmm(cast_for_op(bias, xc.scalar_type()), xc, wc.t()) : torch::mm(xc, wc.t());
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &w = saved[1], &b = saved[2];
    const torch::Tensor& g = grads[0];  // [N, out], in the forward's dtype
    const bool tie = ctx->saved_data["tie"].toBool();
    // The error sent down through B (skipped for a network's first layer, as autograd would).
    torch::Tensor gx = ctx->needs_input_grad(0) ? torch::mm(g, b.to(g.scalar_type())) : torch::Tensor();
    torch::Tensor gw = ctx->needs_input_grad(1) ? torch::mm(g.t(), x) : torch::Tensor();  // true local gradient
    AlignmentProbe* probe = probe_of(ctx);
    if (probe != nullptr && probe->active)
      fill_probe(probe, w, b, gx, [&] { return torch::mm(g, w.to(g.scalar_type())); });
    if (tie && !gw.defined()) gw = torch::mm(g.t(), x);
    torch::Tensor gb = tie_gradient(tie, gw, b);
    // The bias gradient: g summed over the batch, accumulated in fp32 at least.
    torch::Tensor gbias = has_bias_grad(ctx)
                              ? g.sum(0, false, torch::promote_types(g.scalar_type(), torch::kFloat)).to(ctx->saved_data["bias_dtype"].toScalarType())
                              : torch::Tensor();
    return {gx, gw, gb, torch::Tensor(), torch::Tensor(), gbias};
  }
};

struct FeedbackConvFn : public torch::autograd::Function<FeedbackConvFn> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
                               const torch::Tensor& b, std::vector<int64_t> stride,
                               std::vector<int64_t> padding, std::vector<int64_t> dilation,
                               int64_t groups, bool tie_grad, int64_t probe, const OptionalBias& bias_arg) {
    const torch::Tensor bias = bias_arg.value_or(torch::Tensor());
    const torch::Tensor xc = cast_for_op(x, op_compute_dtype(x));
    const torch::Tensor wc = cast_for_op(w, xc.scalar_type());
    // B = W is backprop through this op (backprop_conv2d): the cast kernel is kept for the
    // backward, as autocast's convolution keeps it, instead of casting W a second time.
    ctx->save_for_backward({xc, w, b.is_same(w) ? wc : b});
    ctx->saved_data["bias_dtype"] = bias.defined() ? bias.scalar_type() : xc.scalar_type();
    ctx->saved_data["has_bias"] = bias.defined();
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["dilation"] = dilation;
    ctx->saved_data["groups"] = groups;
    ctx->saved_data["tie"] = tie_grad;
    ctx->saved_data["probe"] = probe;
    // The bias inside the convolution: one kernel adds it (in the output's
    // layout), and the backward below returns its gradient from the same call.
    return torch::conv2d(xc, wc, cast_for_op(bias, xc.scalar_type()), stride, padding,
                         dilation, groups);
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &w = saved[1], &b = saved[2];
    ConvGeometry geo{ctx->saved_data["stride"].toIntVector(), ctx->saved_data["padding"].toIntVector(),
                     ctx->saved_data["dilation"].toIntVector(), ctx->saved_data["groups"].toInt()};
    // g in the convolution's layout (a no-op when it already is: no conversion inside a step).
    const torch::Tensor g = grads[0].contiguous(conv_layout(x, w));
    // Weight B for the input gradient; the weight gradient does not depend on the kernel's values.
    const bool tie = ctx->saved_data["tie"].toBool();
    const bool want_bias = has_bias_grad(ctx);
    const std::array<int64_t, 1> bias_shape{w.size(0)};  // outlives the call: the ArrayRef below points into it
    const c10::OptionalIntArrayRef bias_sizes =
        want_bias ? c10::OptionalIntArrayRef(c10::IntArrayRef(bias_shape)) : c10::OptionalIntArrayRef();
    const bool want_gw = ctx->needs_input_grad(1) || tie;
    // Small output maps: the weight gradient as the tap GEMM (tap_weight_grad.h), the rest from oneDNN.
    const bool taps = want_gw && tap_weight_grad_applies(x.sizes(), w.sizes(), geo, g.scalar_type(), g.device());
    torch::Tensor gx, gw, gbias;
    if (ctx->needs_input_grad(0) || want_bias || (want_gw && !taps))
      std::tie(gx, gw, gbias) = at::convolution_backward(g, x, b.to(g.scalar_type()), bias_sizes, geo.stride,
                                                         geo.padding, geo.dilation, false, {0, 0}, geo.groups,
                                                         {ctx->needs_input_grad(0), want_gw && !taps, want_bias});
    if (taps) gw = tap_weight_grad(x, g, b, geo);
    if (gbias.defined()) gbias = gbias.to(ctx->saved_data["bias_dtype"].toScalarType());
    AlignmentProbe* probe = probe_of(ctx);
    if (probe != nullptr && probe->active)
      fill_probe(probe, w, b, gx, [&] { return conv2d_input_grad(g, x, w.to(g.scalar_type()), geo); });
    torch::Tensor gb = tie_gradient(tie, gw, b);
    return {gx, gw, gb, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(),
            torch::Tensor(), torch::Tensor(), gbias};
  }
};

}  // namespace

torch::ScalarType op_compute_dtype(const torch::Tensor& x) {
  const c10::DeviceType type = x.device().type();
  if (at::autocast::is_autocast_enabled(type) && x.is_floating_point() && x.scalar_type() != torch::kDouble)
    return at::autocast::get_autocast_dtype(type);
  return x.scalar_type();
}

torch::Tensor cast_for_op(const torch::Tensor& t, torch::ScalarType dtype) {
  // A plain cast, not autocast's cache: a cast made here, with autograd off,
  // must never be handed to an op that differentiates through W.
  return t.defined() ? t.to(dtype) : t;
}

double angle_degrees(const torch::Tensor& a, const torch::Tensor& c) {
  torch::NoGradGuard no_grad;
  torch::Tensor ad = a.detach().to(torch::kFloat64), cd = c.detach().to(torch::kFloat64);
  const double dot = (ad * cd).sum().item<double>();
  const double na = ad.norm().item<double>(), nc = cd.norm().item<double>();
  if (na == 0 || nc == 0) return std::nan("");
  return std::acos(std::clamp(dot / (na * nc), -1.0, 1.0)) * 180.0 / M_PI;
}

torch::Tensor feedback_linear(const torch::Tensor& x, const torch::Tensor& weight,
                              const torch::Tensor& feedback, bool tie_grad, AlignmentProbe* probe,
                              const torch::Tensor& bias) {
  TORCH_CHECK(x.dim() == 2 && x.size(1) == weight.size(1), "feedback_linear: x must be [N, ",
              weight.size(1), "], got ", x.sizes());
  TORCH_CHECK(feedback.sizes() == weight.sizes(), "feedback_linear: B must have W's shape ",
              weight.sizes(), ", got ", feedback.sizes());
  TORCH_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0)),
              "feedback_linear: bias must be [", weight.size(0), "], got ", bias.sizes());
  return FeedbackLinearFn::apply(x, weight, feedback, tie_grad, reinterpret_cast<int64_t>(probe), optional_bias(bias));
}

torch::Tensor feedback_conv2d(const torch::Tensor& x, const torch::Tensor& weight,
                              const torch::Tensor& feedback, const ConvGeometry& geo, bool tie_grad,
                              AlignmentProbe* probe, const torch::Tensor& bias) {
  TORCH_CHECK(x.dim() == 4, "feedback_conv2d: x must be [N, C, H, W], got ", x.sizes());
  TORCH_CHECK(feedback.sizes() == weight.sizes(), "feedback_conv2d: B must have W's shape ",
              weight.sizes(), ", got ", feedback.sizes());
  TORCH_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0)),
              "feedback_conv2d: bias must be [", weight.size(0), "], got ", bias.sizes());
  return FeedbackConvFn::apply(x, weight, feedback, geo.stride, geo.padding, geo.dilation, geo.groups,
                               tie_grad, reinterpret_cast<int64_t>(probe), optional_bias(bias));
}

torch::Tensor backprop_conv2d(const torch::Tensor& x, const torch::Tensor& weight, const ConvGeometry& geo,
                              const torch::Tensor& bias) {
  if (!torch::GradMode::is_enabled() || !weight.requires_grad() ||
      !tap_weight_grad_applies(x.sizes(), weight.sizes(), geo, op_compute_dtype(x), x.device()))
    return torch::conv2d(x, weight, bias, geo.stride, geo.padding, geo.dilation, geo.groups);
  // The error is sent down through W itself (B = W): exactly backprop.
  return feedback_conv2d(x, weight, weight, geo, false, nullptr, bias);
}

namespace {

// The input gradient of a convolution whose input has few channels (a
// network's first layer on grey-scale or RGB images), which only IA's
// reconstruction Xhat asks of a first layer (backprop sends no error below
// it). oneDNN's backward-data kernel for C_in = 1 runs ~10x the forward's
// time (KNet conv1, batch 128: 12 ms against 1 ms in fp32); as one GEMM and
// a k*k-term col2im it costs about a forward:
//   Y = rows(g) K: [N*Ho*Wo, C_out] x [C_out, C_in*kh*kw], each output
//   position's contribution to each tap, then Xhat[.., y, x] += Y[.., tap] at
//   y = oy*s - p + i*d (x likewise) for each tap (i, j), accumulated in fp32
//   at least in a buffer padded by p on each side, and cropped.
// groups = 1 only; shapes: g [N, C_out, Ho, Wo], input [N, C_in, H, W], K [C_out, C_in, kh, kw].
torch::Tensor few_channel_input_grad(const torch::Tensor& g, const torch::Tensor& input, const torch::Tensor& kernel,
                                     const ConvGeometry& geo) {
  const int64_t n = g.size(0), c_out = g.size(1), ho = g.size(2), wo = g.size(3);
  const int64_t c_in = kernel.size(1), kh = kernel.size(2), kw = kernel.size(3);
  const int64_t sh = geo.stride[0], sw = geo.stride[1], ph = geo.padding[0], pw = geo.padding[1];
  const int64_t dh = geo.dilation[0], dw = geo.dilation[1];
  const torch::Tensor rows = g.permute({0, 2, 3, 1}).reshape({-1, c_out});  // a view when g is channels-last
  // The kernel as a [C_out, C_in*kh*kw] matrix in its own memory order (a view,
  // no copy): (c, i, j) columns when NCHW, (i, j, c) when channels-last.
  const bool cl_kernel = kernel.suggest_memory_format() == torch::MemoryFormat::ChannelsLast;
  const torch::Tensor matrix = (cl_kernel ? kernel.permute({0, 2, 3, 1}) : kernel).reshape({c_out, -1});
  const torch::Tensor product = rows.mm(matrix.to(g.scalar_type()));  // [N*Ho*Wo, C_in*kh*kw]
  const torch::Tensor taps = (cl_kernel ? product.view({n, ho, wo, kh, kw, c_in}).permute({3, 4, 0, 5, 1, 2})
                                        : product.view({n, ho, wo, c_in, kh, kw}).permute({4, 5, 0, 3, 1, 2}))
                                 .contiguous();  // [kh, kw, N, C_in, Ho, Wo]
  const auto acc = torch::promote_types(g.scalar_type(), torch::kFloat);
  torch::Tensor padded = torch::zeros({n, c_in, input.size(2) + 2 * ph, input.size(3) + 2 * pw}, g.options().dtype(acc));
  for (int64_t i = 0; i < kh; ++i)
    for (int64_t j = 0; j < kw; ++j)
      padded.slice(2, i * dh, i * dh + (ho - 1) * sh + 1, sh).slice(3, j * dw, j * dw + (wo - 1) * sw + 1, sw).add_(taps[i][j]);
  return padded.slice(2, ph, ph + input.size(2))
      .slice(3, pw, pw + input.size(3))
      .to(g.options(), false, true, conv_layout(input, kernel));
}

// Channel count up to which few_channel_input_grad replaces oneDNN's kernel
// (measured on KNet and ResNet first layers: C_in = 1 and 3).
constexpr int64_t kFewInputChannels = 4;

}  // namespace

torch::Tensor conv2d_input_grad(const torch::Tensor& g, const torch::Tensor& input,
                                const torch::Tensor& kernel, const ConvGeometry& geo) {
  if (geo.groups == 1 && kernel.size(1) <= kFewInputChannels && g.device().is_cpu())
    return few_channel_input_grad(g, input, kernel, geo);
  return std::get<0>(at::convolution_backward(g.contiguous(conv_layout(input, kernel)), input, kernel, std::nullopt, geo.stride,
                                              geo.padding, geo.dilation, false, {0, 0}, geo.groups,
                                              {true, false, false}));
}

torch::Tensor conv2d_weight_grad(const torch::Tensor& u, const torch::Tensor& v,
                                 const torch::Tensor& kernel, const ConvGeometry& geo) {
  if (tap_weight_grad_applies(u.sizes(), kernel.sizes(), geo, v.scalar_type(), v.device()))
    return tap_weight_grad(u, v.contiguous(conv_layout(u, kernel)), kernel, geo);
  return std::get<1>(at::convolution_backward(v.contiguous(conv_layout(u, kernel)), u, kernel, std::nullopt, geo.stride,
                                              geo.padding, geo.dilation, false, {0, 0}, geo.groups,
                                              {false, true, false}));
}

}  // namespace lrid

// Layer-local alignment losses in closed form. See alignment_loss.h.
#include "rules/alignment_loss.h"

#include "rules/kernel_terms.h"

#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/torch.h>

#include <functional>
#include <tuple>
#include <vector>

namespace lrid {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// The layer's op and its two adjoints, for dense ([N, in] -> [N, out]) or conv.
struct LayerOp {
  std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& k, const torch::Tensor& bias)>
      apply;  // op(x; k) (+ bias, in the same kernel, when defined)
  std::function<torch::Tensor(const torch::Tensor& v, const torch::Tensor& k)> input_grad;   // adjoint in x
  std::function<torch::Tensor(const torch::Tensor& u, const torch::Tensor& v)> weight_grad;  // WG(u, v)
  std::function<torch::Tensor(const torch::Tensor& b)> bias_view;  // b broadcast to op's output
};

LayerOp dense_op() {
  return {[](const torch::Tensor& x, const torch::Tensor& k, const torch::Tensor& bias) {
            return torch::linear(x, k, bias);
          },
          [](const torch::Tensor& v, const torch::Tensor& k) { return torch::mm(v, k); },
          [](const torch::Tensor& u, const torch::Tensor& v) { return torch::mm(v.t(), u); },
          [](const torch::Tensor& b) { return b.unsqueeze(0); }};
}

LayerOp conv_op(const torch::Tensor& x, const torch::Tensor& kernel, const ConvGeometry& geo) {
  return {[geo](const torch::Tensor& in, const torch::Tensor& k, const torch::Tensor& bias) {
            return torch::conv2d(in, k, bias, geo.stride, geo.padding, geo.dilation, geo.groups);
          },
          [geo, x](const torch::Tensor& v, const torch::Tensor& k) { return conv2d_input_grad(v, x, k, geo); },
          [geo, kernel](const torch::Tensor& u, const torch::Tensor& v) {
            return conv2d_weight_grad(u, v, kernel, geo);
          },
          [](const torch::Tensor& b) { return b.view({1, -1, 1, 1}); }};
}

// t's elements as a 1-D view in memory order when t is dense in NCHW (or any
// contiguous) or channels-last layout; undefined otherwise.
torch::Tensor memory_order_view(const torch::Tensor& t) {
  if (t.is_contiguous()) return t.view(-1);
  if (t.dim() == 4 && t.is_contiguous(torch::MemoryFormat::ChannelsLast)) return t.permute({0, 2, 3, 1}).reshape(-1);
  return {};
}

bool reduced_precision(const torch::Tensor& t) { return t.is_floating_point() && t.element_size() < 4; }

// |a|^2 and <a, b> over whole tensors, accumulated in fp32 at least, with no
// layout conversion and no widened copy of an activation (a fresh fp32 copy
// of a bf16 KNet activation cost more than the dot itself):
//   fp32/fp64 in a shared dense layout: one BLAS dot over the memory order;
//   bf16/fp16: |a|^2 as a norm reduction that widens on the fly, <a, b> as
//     the sum in fp32 of the element-wise product (each product rounded to
//     bf16 once, without bias; ATen's own bf16 dot is a scalar loop, 7x slower).
torch::Tensor frobenius_inner(const torch::Tensor& a, const torch::Tensor& b) {
  if (reduced_precision(a) || reduced_precision(b)) return torch::mul(a, b).sum(torch::kFloat);
  const torch::Tensor fa = memory_order_view(a), fb = memory_order_view(b);
  const bool same_layout = fa.defined() && fb.defined() && a.is_contiguous() == b.is_contiguous();
  return same_layout ? torch::dot(fa, fb) : (a * b).sum();
}
torch::Tensor sq(const torch::Tensor& a) {
  if (!reduced_precision(a)) return frobenius_inner(a, a);
  return torch::linalg_vector_norm(a, 2, c10::nullopt, false, torch::kFloat).square();
}

// <v, b broadcast over v's output positions> = sum_c b_c * (v summed over all
// dims but the channel dim 1), accumulated in fp32 at least.
torch::Tensor bias_inner(const torch::Tensor& v, const torch::Tensor& b) {
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < v.dim(); ++d)
    if (d != 1) dims.push_back(d);
  const auto acc = torch::promote_types(v.scalar_type(), torch::kFloat);
  return torch::dot(v.sum(dims, false, acc), b.to(acc));
}

// The batch terms of R (amp, null, sparse): their value, and their gradient
// with respect to B as g_scale * g, with value_gB * <g, B> still to be added
// to the value (the kernel-sized pass, kernel_terms.h, scales g and takes
// that inner product while it forms B's whole gradient). Computed without
// autograd and without host synchronisation (the value stays a device
// scalar), in the dtype of x, w, b and B (the training's compute dtype).
struct BatchTerms {
  torch::Tensor value;  // 0-dim, fp32 at least
  torch::Tensor g;      // kernel-sized, compute dtype; undefined when no term is active
  double g_scale = 1.0;
  double value_gB = 0.0;
};

BatchTerms batch_terms(const LayerOp& op, const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
                       const torch::Tensor& B, const RegularizerCoefficients& c, const torch::Tensor& fwd) {
  const double n = static_cast<double>(x.size(0));
  const bool has_bias = b.defined();
  // R_f: the layer's forward output (which includes the bias) when the caller
  // has it, less the bias where R_f is defined without it; else recomputed.
  torch::Tensor rf;
  if (fwd.defined()) rf = has_bias && !c.use_bias_forward ? fwd - op.bias_view(b) : fwd;
  else rf = op.apply(x, w, has_bias && c.use_bias_forward ? b : torch::Tensor());
  BatchTerms out;
  // The value accumulates in fp32 at least (a bf16 scalar would keep 3 digits).
  out.value = torch::zeros({}, B.options().dtype(torch::promote_types(B.scalar_type(), torch::kFloat)));
  torch::Tensor xhat, null_v;
  if (c.null != 0) {
    xhat = op.input_grad(rf, B);
    null_v = sq(xhat) / n;
  }
  if (c.sparse != 0) {
    // P is needed: amp and sparse share the input x in one weight-gradient,
    // WG(x, 2 sparse P - amp R_f) / N = (2 sparse / N) WG(x, P - amp / (2 sparse) R_f):
    // one element-wise pass to combine, the scale applied in the kernel-sized pass.
    const torch::Tensor p = op.apply(x, B, has_bias && c.use_bias_backward ? b : torch::Tensor());
    out.g = op.weight_grad(x, torch::add(p, rf, -c.amp / (2 * c.sparse)));
    out.g_scale = 2 * c.sparse / n;
    out.value += c.amp * (-frobenius_inner(rf, p) / n) + c.sparse * (sq(rf) + sq(p)) / n;
    if (c.null != 0) {  // a second weight gradient: the two are summed here, scales applied
      out.g = out.g.mul_(out.g_scale).add_(op.weight_grad(xhat, rf), 2 * c.null / n);
      out.g_scale = 1.0;
      out.value += c.null * null_v;
    }
  } else if (c.amp != 0 || c.null != 0) {
    // One weight-gradient for amp and null: g = WG(2 null Xhat - amp x, R_f) / N,
    // and <g, B> = amp * AMP (without the bias in P) + 2 null NULL. The first
    // argument as one element-wise pass (x + (-2 null / amp) Xhat, scaled by
    // -amp afterwards), or none when a term is absent.
    torch::Tensor u;
    double scale = 0;
    if (c.amp != 0 && c.null != 0) u = torch::add(x, xhat, -2 * c.null / c.amp), scale = -c.amp / n;
    else if (c.null != 0) u = xhat, scale = 2 * c.null / n;
    else u = x, scale = -c.amp / n;
    out.g = op.weight_grad(u, rf);
    out.g_scale = scale;
    out.value_gB = scale;  // value += <scale g, B>
    if (c.null != 0) out.value -= c.null * null_v;
    if (c.amp != 0 && has_bias && c.use_bias_backward)
      out.value += c.amp * (-bias_inner(rf, b) / n);
  }
  return out;
}

struct AlignmentLossFn : public torch::autograd::Function<AlignmentLossFn> {
  // B enters only so that autograd connects the loss to it; value and gradient come precomputed.
  // The gradient is kept in saved_data (not save_for_backward) so that backward can hand the
  // buffer itself on to B.grad: scaled in place, and not at all when the incoming gradient is
  // a CPU 1 (each pass over ResNet-18's kernels costs milliseconds).
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& B, torch::Tensor grad,
                               const torch::Tensor& value) {
    ctx->saved_data["grad"] = std::move(grad);
    return value.clone();
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    auto it = ctx->saved_data.find("grad");
    TORCH_CHECK(it != ctx->saved_data.end(),
                "alignment loss: a second backward pass through one forward (retain_graph) is not supported");
    torch::Tensor g = it->second.toTensor();
    ctx->saved_data.erase(it);
    const torch::Tensor& s = grads[0];
    if (!(s.device().is_cpu() && s.numel() == 1 && s.item<double>() == 1.0)) g.mul_(s);
    return {g, torch::Tensor(), torch::Tensor()};
  }
};

// The layer's op for inputs and kernels of one dtype and layout (x and W as
// the batch terms see them).
using OpFactory = std::function<LayerOp(const torch::Tensor& x, const torch::Tensor& kernel)>;

// R as a differentiable scalar of B: the batch terms in the compute dtype (the
// forward output's: bf16 under bf16 autocast), the parameter terms decay and
// self in B's own dtype (fp32; they need no activations and lose nothing to
// low precision); value and gradient returned in B's dtype.
torch::Tensor make_loss(const OpFactory& make_op, const torch::Tensor& x_in, const torch::Tensor& w_in,
                        const torch::Tensor& b_in, const torch::Tensor& B_in, const RegularizerCoefficients& c,
                        const torch::Tensor& fwd_in) {
  const torch::ScalarType dtype = fwd_in.defined() ? fwd_in.scalar_type() : op_compute_dtype(x_in);
  torch::Tensor grad, value;
  {
    torch::NoGradGuard no_grad;
    // Every cast below is explicit, so autocast must not add its own.
    c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    const torch::Tensor w = w_in.detach(), B = B_in.detach();
    BatchTerms bt;
    if (c.amp != 0 || c.null != 0 || c.sparse != 0) {  // SA has none: no casts, no activations read
      const torch::Tensor x = cast_for_op(x_in.detach(), dtype);
      // W's values are read only to recompute R_f; otherwise the op needs a kernel of W's
      // shape, dtype and layout for the weight gradient, whose result does not depend on its
      // values: an uninitialised stand-in saves a parameter-sized cast per layer and step.
      const torch::Tensor wc = fwd_in.defined() ? torch::empty_like(w, w.options().dtype(dtype))
                                                : cast_for_op(w, dtype);
      const torch::Tensor b = b_in.defined() ? cast_for_op(b_in.detach(), dtype) : b_in;
      // B enters the products only through the null and sparse terms; amp alone (WM) reads it
      // only in the value's inner product, which takes the fp32 master as it is.
      const torch::Tensor Bc = c.null != 0 || c.sparse != 0 ? cast_for_op(B, dtype) : B;
      bt = batch_terms(make_op(x, wc), x, wc, b, Bc, c, fwd_in.defined() ? fwd_in.detach() : fwd_in);
    }
    // One pass over the kernels for everything kernel-sized: g scaled, decay
    // and self added, and the inner products of the value (kernel_terms.h).
    KernelTermCoefficients k;
    k.g_scale = bt.g_scale;
    k.c_gB = bt.value_gB;
    k.b_scale = c.decay_grad_by_optimizer ? 0.0 : 2 * c.decay;  // d/dB decay (|W|^2 + |B|^2)
    k.c_BB = c.decay;
    k.c_WW = c.decay;
    k.w_scale = -c.self;  // d/dB -self <W, B>
    k.c_WB = -c.self;
    KernelTerms kt = kernel_terms(bt.g, B, w, k);
    grad = std::move(kt.grad);
    value = bt.value.defined() ? bt.value.to(B.scalar_type()) + kt.value : kt.value;
  }
  // No gradient left (decay alone, applied by B's optimizer): the value, outside the graph.
  if (!grad.defined()) return value;
  return AlignmentLossFn::apply(B_in, std::move(grad), value);
}

}  // namespace

torch::Tensor alignment_loss_dense(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                   const torch::Tensor& feedback, const RegularizerCoefficients& c,
                                   const torch::Tensor& forward_output) {
  TORCH_CHECK(x.dim() == 2 && x.size(1) == weight.size(1), "alignment_loss_dense: x must be [N, ", weight.size(1),
              "], got ", x.sizes());
  return make_loss([](const torch::Tensor&, const torch::Tensor&) { return dense_op(); }, x, weight, bias, feedback,
                   c, forward_output);
}

torch::Tensor alignment_loss_conv(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                  const torch::Tensor& feedback, const ConvGeometry& geo,
                                  const RegularizerCoefficients& c, const torch::Tensor& forward_output) {
  TORCH_CHECK(x.dim() == 4, "alignment_loss_conv: x must be [N, C, H, W], got ", x.sizes());
  return make_loss([&geo](const torch::Tensor& xc, const torch::Tensor& wc) { return conv_op(xc, wc, geo); }, x,
                   weight, bias, feedback, c, forward_output);
}

torch::Tensor alignment_loss_reference(const torch::Tensor& x_in, const torch::Tensor& w_in,
                                       const torch::Tensor& b_in, const torch::Tensor& B,
                                       const ConvGeometry* geo, const RegularizerCoefficients& c) {
  torch::Tensor x = x_in.detach(), w = w_in.detach(), b = b_in.defined() ? b_in.detach() : b_in;
  const double n = static_cast<double>(x.size(0));
  auto apply = [&](const torch::Tensor& k) {
    return geo ? torch::conv2d(x, k, {}, geo->stride, geo->padding, geo->dilation, geo->groups)
               : torch::mm(x, k.t());
  };
  auto bias_view = [&](const torch::Tensor& t) { return geo ? t.view({1, -1, 1, 1}) : t.unsqueeze(0); };
  torch::Tensor rf = apply(w);
  if (b.defined() && c.use_bias_forward) rf = rf + bias_view(b);
  torch::Tensor p = apply(B);
  if (b.defined() && c.use_bias_backward) p = p + bias_view(b);
  // Xhat as the gradient of <op(z; B), R_f> with respect to z (the adjoint), kept differentiable in B.
  torch::Tensor xhat;
  if (geo) {
    torch::Tensor z = torch::zeros_like(x).requires_grad_(true);
    torch::Tensor inner = (torch::conv2d(z, B, {}, geo->stride, geo->padding, geo->dilation, geo->groups) * rf).sum();
    xhat = torch::autograd::grad({inner}, {z}, {}, true, true)[0];
  } else {
    xhat = torch::mm(rf, B);
  }
  torch::Tensor r = torch::zeros({}, B.options());
  r = r + c.amp * -(rf * p).sum() / n;
  r = r + c.null * xhat.pow(2).sum() / n;
  r = r + c.decay * (w.pow(2).sum() + B.pow(2).sum());
  r = r + c.sparse * (rf.pow(2).sum() + p.pow(2).sum()) / n;
  r = r + c.self * -(w * B).sum();
  return r;
}

}  // namespace lrid

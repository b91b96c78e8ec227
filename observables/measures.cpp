// Measures of a recorded layer. See measures.h; definitions in science.md §3–§4.
#include "observables/measures.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "core/errors.h"
#include "models/layers.h"
#include "rules/feedback_ops.h"

namespace lrid {

WeightNormMode parse_weight_norm_mode(const std::string& name, const std::string& what) {
  if (name == "frobenius") return WeightNormMode::kFrobenius;
  if (name == "slice_mean") return WeightNormMode::kSliceMean;
  throw ConfigError(fmt::format("{}: unknown weight norm mode '{}' (frobenius, slice_mean)", what, name));
}

GradavgPath parse_gradavg_path(const std::string& name, const std::string& what) {
  if (name == "forward") return GradavgPath::kForward;
  if (name == "feedback") return GradavgPath::kFeedback;
  throw ConfigError(fmt::format("{}: unknown gradavg path '{}' (forward, feedback)", what, name));
}

torch::Tensor tf_layout(const torch::Tensor& w) {
  if (w.dim() == 4) return w.permute({2, 3, 1, 0});  // OIHW -> HWIO
  if (w.dim() == 2) return w.t();                     // [out, in] -> [in, out]
  return w;
}

torch::Tensor weight_observables(const torch::Tensor& kernel_tf, WeightNormMode mode, UnitSampler& sampler,
                                 torch::Generator& gen) {
  TORCH_CHECK(kernel_tf.numel() >= 1, "weight_observables: empty kernel");
  const bool slice_norm = mode == WeightNormMode::kSliceMean && !sampler.condition().subsampled();
  torch::Tensor w = kernel_tf.contiguous();
  torch::Tensor flat = w.reshape({1, -1});
  torch::Tensor v;
  if (slice_norm) {
    // The slice norms need the whole (noisy) kernel.
    w = sampler.add_noise(w, gen);
    v = w.reshape({1, -1});
  } else {
    v = sampler.add_noise(sampler.keep(flat, UnitRole::kWeight), gen);
  }
  torch::Tensor stats = function_statistics(v).view({kNumFunctions, kNumStatistics});
  if (slice_norm) {
    std::vector<int64_t> rest;
    for (int64_t d = 1; d < w.dim(); ++d) rest.push_back(d);
    std::vector<torch::Tensor> norms;
    for (Function f : {Function::kAbs, Function::kRaw, Function::kSq}) {
      torch::Tensor g = apply_function(w.to(torch::kFloat64), f);
      torch::Tensor per_slice = rest.empty() ? g.abs() : (g * g).sum(rest).sqrt();
      norms.push_back(per_slice.mean());
    }
    stats.select(1, static_cast<int64_t>(Statistic::kNorm)).copy_(torch::stack(norms));
  }
  return stats.reshape({-1});
}

torch::Tensor act_sample_observables(const torch::Tensor& y, UnitSampler& sampler, torch::Generator& gen) {
  TORCH_CHECK(y.dim() >= 1 && y.size(0) >= 1, "act_sample_observables: empty batch");
  const int64_t b = y.size(0);
  torch::Tensor v = y.reshape({b, -1});
  TORCH_CHECK(v.size(1) >= 1, "act_sample_observables: a sample has no units");
  // float32 stays float32 (the statistics are accumulated in double either way).
  return function_statistics(sampler.add_noise(sampler.keep(v, UnitRole::kAct), gen));
}

namespace {

// (sum [B] + N(0, k_in σ²)) / k_out, in float64.
torch::Tensor finish_gradavg(torch::Tensor sum, int64_t k_in, int64_t k_out, UnitSampler& sampler,
                             torch::Generator& gen) {
  sum = sum.to(torch::kFloat64);
  if (sampler.condition().noisy()) {
    torch::Tensor z = torch::randn(sum.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat64));
    sum = sum + (*sampler.condition().stddev * std::sqrt(static_cast<double>(k_in))) * z.to(sum.device());
  }
  return sum / static_cast<double>(k_out);
}

}  // namespace

torch::Tensor gradavg_from_row_sums(const torch::Tensor& r, int64_t k_out, UnitSampler& sampler,
                                    torch::Generator& gen) {
  TORCH_CHECK(r.dim() == 2 && k_out >= 1, "gradavg_from_row_sums expects r [B, n_in] and k_out >= 1");
  torch::Tensor kept = sampler.keep(r.to(torch::kFloat64), UnitRole::kPre);
  return finish_gradavg(kept.sum(1), kept.size(1), k_out, sampler, gen);
}

torch::Tensor layer_gradavg(RecordableLayerImpl& layer, const torch::Tensor& x, const torch::Tensor& y,
                            GradavgPath path, UnitSampler& sampler, torch::Generator& gen) {
  TORCH_CHECK(x.defined() && y.defined() && x.size(0) == y.size(0),
              "layer_gradavg: layer ", layer.layer_name(), " has no captured input/output");
  const int64_t b = y.size(0);
  torch::Tensor kernel = path == GradavgPath::kFeedback && layer.feedback().defined() ? layer.feedback()
                                                                                       : layer.weight();
  kernel = kernel.detach();
  // c = f'(z) per output (ReLU: 1 where y > 0; identity: 1), zero outside the kept outputs.
  const int64_t n_out = y[0].numel();
  int64_t k_out = n_out;
  torch::Tensor post_mask;  // [n_out] 0/1, undefined when every output is kept
  if (const torch::Tensor& post = sampler.indices(UnitRole::kPost, n_out); post.defined()) {
    post_mask = torch::zeros({n_out}, kernel.options());
    post_mask.index_fill_(0, post.to(kernel.device()), 1.0);
    k_out = post.size(0);
  }
  // 1_Q: the indicator of the kept inputs, with the shape of one sample's input.
  std::vector<int64_t> in_shape(x.sizes().begin() + 1, x.sizes().end());
  const int64_t n_in = x[0].numel();
  torch::Tensor ones = torch::ones({n_in}, kernel.options());
  int64_t k_in = n_in;
  if (const torch::Tensor& pre = sampler.indices(UnitRole::kPre, n_in); pre.defined()) {
    ones = torch::zeros({n_in}, kernel.options());
    ones.index_fill_(0, pre.to(ones.device()), 1.0);
    k_in = pre.size(0);
  }
  torch::Tensor m;  // op(1_Q; K), flattened to [n_out]
  if (layer.is_conv()) {
    const auto& o = static_cast<ConvLayerImpl&>(layer).options;
    in_shape.insert(in_shape.begin(), 1);
    m = torch::conv2d(ones.view(in_shape), kernel, {}, o.stride(), o.padding(), o.dilation(), o.groups());
  } else {
    m = kernel.mv(ones);
  }
  m = m.reshape({-1});
  TORCH_CHECK(m.size(0) == n_out, "layer_gradavg: layer ", layer.layer_name(), " output has ", n_out,
              " units, the op gives ", m.size(0));
  if (post_mask.defined()) m = m * post_mask;
  torch::Tensor sum;
  if (layer.activation() == Activation::kRelu) {
    // <1[y > 0], m> per sample; the 0/1 products are exact, the sum is in float64.
    sum = (y.reshape({b, -1}) > 0).to(m.scalar_type()).mul(m).sum(1, false, torch::kFloat64);
  } else {
    sum = m.sum(0, false, torch::kFloat64).expand({b}).contiguous();  // f' = 1: the same for every sample
  }
  return finish_gradavg(sum, k_in, k_out, sampler, gen);
}

torch::Tensor jacobian_gradavg(const torch::Tensor& jacobian, UnitSampler& sampler, torch::Generator& gen) {
  TORCH_CHECK(jacobian.dim() == 3, "jacobian_gradavg expects [B, n_out, n_in]");
  torch::Tensor j = jacobian.to(torch::kFloat64);
  const int64_t n_out = j.size(1);
  const torch::Tensor& post = sampler.indices(UnitRole::kPost, n_out);
  if (post.defined()) j = j.index_select(1, post.to(j.device()));
  return gradavg_from_row_sums(j.sum(1), j.size(1), sampler, gen);
}

torch::Tensor gradavg_functions(const torch::Tensor& values) {
  return torch::stack({values.abs(), values, values * values}, 1);
}

}  // namespace lrid

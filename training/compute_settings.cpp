// Precision and memory format of a run. See compute_settings.h.
#include "training/compute_settings.h"

#include <ATen/autocast_mode.h>
#include <ATen/cpu/Utils.h>
#include <fmt/format.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <algorithm>

#include "core/errors.h"
#include "models/registry.h"
#include "training/run_options.h"

namespace lrid {
namespace {

bool is_knet(const std::string& a) { return a.rfind("knet", 0) == 0; }
bool is_resnet(const std::string& a) { return a.rfind("resnet", 0) == 0; }

}  // namespace

std::optional<torch::ScalarType> ComputeSettings::autocast_dtype() const {
  if (precision == "bf16") return torch::kBFloat16;
  if (precision == "fp16") return torch::kHalf;
  return std::nullopt;
}

torch::Device resolve_device(const std::string& want) {
  if (want == "cpu") return torch::kCPU;
  const bool have = torch::cuda::is_available();
  if (want == "cuda" && !have)
    throw ConfigError("run.parameters.device: 'cuda' requested but no CUDA device is available");
  return have ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
}

bool cpu_has_native_bf16() {
  static const bool has = [] {
    const auto caps = at::cpu::get_cpu_capabilities();
    auto flag = [&](const char* key) {
      const auto it = caps.find(key);
      return it != caps.end() && it->second.isBool() && it->second.toBool();
    };
    return flag("avx512_bf16") || flag("amx_bf16");
  }();
  return has;
}

// The table behind `auto`, from bench/train_throughput.py on a 2-core AMD
// EPYC with AVX-512 BF16 (README, "Speed"): KNet-family networks and
// ResNet-18 both run fastest channels-last, in fp32 (KNet 1.6x, ResNet-18
// 1.4x over NCHW) and with bf16 on top of it. On a CPU without native bf16 the
// bf16 path is emulated, so auto keeps fp32 there. WM keeps fp32 everywhere:
// in bench/precision_science.py (1 epoch of Fashion-MNIST) its bf16 run ended
// 0.029 below the fp32 run's test accuracy, outside the 0.02 band (every other
// rule stayed inside). Architectures not measured, and CUDA (not measured
// here), keep fp32 NCHW: a setting is picked only where it was measured faster.
ComputeSettings auto_compute_settings(const torch::Device& device, const std::string& architecture,
                                      const std::string& rule) {
  ComputeSettings s;
  if (!device.is_cpu()) return s;
  if (!is_knet(architecture) && !is_resnet(architecture)) return s;
  s.memory_format = "channels_last";
  if (cpu_has_native_bf16() && rule != "wm") s.precision = "bf16";
  return s;
}

ComputeSettings compute_settings(const std::string& precision, const std::string& memory_format) {
  if (precision == "auto" || memory_format == "auto")
    throw ConfigError("run.parameters: precision and memory_format must be resolved from 'auto' first");
  return ComputeSettings{precision, memory_format};
}

void resolve_compute_settings(Config& config) {
  const RunOptions run = run_options(config.run.params);
  const torch::Device device = resolve_device(run.device);
  const std::string architecture = model_options(config.model.type, config.model.params).architecture;
  const ComputeSettings pick = auto_compute_settings(device, architecture, config.rule.type);
  auto resolve = [&](const char* key, const std::string& given, const std::string& picked) {
    if (given != "auto") return given;
    config.run.params.set(key, YAML::Node(picked));
    config.auto_resolved.emplace_back(key);
    return picked;
  };
  const std::string precision = resolve("precision", run.precision, pick.precision);
  resolve("memory_format", run.memory_format, pick.memory_format);
  if (precision == "fp16" && !device.is_cuda())
    throw ConfigError("run.parameters.precision: 'fp16' needs a CUDA device (on a CPU use bf16 or fp32)");
}

void to_memory_format(torch::nn::Module& module, const ComputeSettings& settings) {
  const auto format = settings.channels_last() ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  torch::NoGradGuard no_grad;
  // suggest_memory_format, not is_contiguous: a [C_out, 1, k, k] kernel (one
  // input channel) is contiguous in both formats, and contiguous(format) keeps
  // its NCHW strides, which makes the convolution pick an NCHW output for the
  // whole first block. A real copy gives it channels-last strides.
  auto convert = [&](torch::Tensor& t) {
    if (t.defined() && t.dim() == 4 && t.suggest_memory_format() != format)
      t.set_data(t.data().to(t.options(), /*non_blocking=*/false, /*copy=*/true, format));
  };
  for (auto& p : module.parameters()) convert(p);
  for (auto& b : module.buffers()) convert(b);
}

torch::Tensor to_memory_format(const torch::Tensor& images, const ComputeSettings& settings) {
  if (images.dim() != 4) return images;
  const auto format = settings.channels_last() ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  // As for kernels: one-channel images get real channels-last strides.
  if (images.is_contiguous(format) && images.suggest_memory_format() == format) return images;
  return images.to(images.options(), /*non_blocking=*/false, /*copy=*/true, format);
}

AutocastScope::AutocastScope(const torch::Device& device, const ComputeSettings& settings) {
  const auto dtype = settings.autocast_dtype();
  if (!dtype) return;
  active_ = true;
  device_type_ = device.type();
  previous_enabled_ = at::autocast::is_autocast_enabled(device_type_);
  previous_dtype_ = at::autocast::get_autocast_dtype(device_type_);
  at::autocast::set_autocast_enabled(device_type_, true);
  at::autocast::set_autocast_dtype(device_type_, *dtype);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // The cache holds the low-precision copies of the weights for one pass.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(device_type_, previous_enabled_);
  at::autocast::set_autocast_dtype(device_type_, previous_dtype_);
}

}  // namespace lrid

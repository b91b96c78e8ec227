// How a run computes: the training precision (fp32, or bf16/fp16 autocast over
// fp32 master weights) and the memory format of activations and 4-D kernels
// (NCHW or channels-last), with `auto` resolved per device, architecture and
// rule from the table that bench/train_throughput.py measured (README,
// "Speed"). The resolved values are written into the run's config.yaml.
//
// What stays fp32 whatever the precision: W, b, B and every buffer (master
// weights), the optimizer state, the loss, and the recorder's probe forward
// (it runs outside autocast), so observables depend on the training precision
// only through the training itself.
#pragma once
#include <torch/nn/module.h>
#include <torch/types.h>

#include <optional>
#include <string>

#include "training/config.h"

namespace lrid {

struct ComputeSettings {
  std::string precision = "fp32";            // fp32 | bf16 | fp16
  std::string memory_format = "contiguous";  // contiguous | channels_last

  bool channels_last() const { return memory_format == "channels_last"; }
  // The autocast dtype, or nullopt for fp32 (no autocast).
  std::optional<torch::ScalarType> autocast_dtype() const;
};

// run.parameters.device resolved: "cpu", "cuda" (throws ConfigError when CUDA
// is requested and absent), or "auto" (CUDA when available).
torch::Device resolve_device(const std::string& device);

// Whether this CPU has native bf16 arithmetic (AVX-512 BF16 or AMX-BF16);
// without it bf16 is emulated and slower than fp32.
bool cpu_has_native_bf16();

// What `auto` picks for an architecture and a (canonical) rule on a device.
ComputeSettings auto_compute_settings(const torch::Device& device, const std::string& architecture,
                                      const std::string& rule);

// Replaces `auto` in run.parameters.precision / memory_format by the pick
// above (names recorded in config.auto_resolved, so that a resumed run keeps
// what its directory recorded) and checks the pair against the device:
// fp16 needs CUDA. Throws ConfigError naming the key.
void resolve_compute_settings(Config& config);

// The run's settings once resolved (ConfigError if either is still `auto`).
ComputeSettings compute_settings(const std::string& precision, const std::string& memory_format);

// Every 4-D parameter and buffer of `module` (conv kernels W and B) to the
// memory format, in place: the tensors keep their identity, so optimizers and
// layers that hold them see the new layout.
void to_memory_format(torch::nn::Module& module, const ComputeSettings& settings);

// A batch [N, C, H, W] in the run's layout (a no-op when already in it).
torch::Tensor to_memory_format(const torch::Tensor& images, const ComputeSettings& settings);

// Autocast over a scope (forward passes only: backward runs outside, as
// PyTorch recommends). Inactive when the settings are fp32. Restores the
// previous state and clears the cast cache on exit.
class AutocastScope {
 public:
  AutocastScope(const torch::Device& device, const ComputeSettings& settings);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  c10::DeviceType device_type_ = c10::DeviceType::CPU;
  bool previous_enabled_ = false;
  torch::ScalarType previous_dtype_ = torch::kFloat;
};

}  // namespace lrid

// Tensor helpers shared by the gradient tests: float64 options (finite
// differences and hand-computed values need double precision), the relative
// error of two tensors, a bf16 autocast scope and a channels-last check.
#pragma once
#include <ATen/autocast_mode.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <map>
#include <string>

namespace lrid::test {

inline const auto kDouble = torch::TensorOptions().dtype(torch::kFloat64);

// A checkpoint's parameters ("param/<name>" -> tensor), read without building the model.
inline std::map<std::string, torch::Tensor> checkpoint_params(const std::string& file) {
  torch::serialize::InputArchive archive;
  archive.load_from(file);
  std::map<std::string, torch::Tensor> out;
  for (const auto& key : archive.keys())
    if (key.rfind("param/", 0) == 0) archive.read(key, out[key]);
  return out;
}

// |a - b| / |b| (Frobenius norms), with |b| floored so that b = 0 does not divide by zero.
inline double rel_err(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).norm() / b.norm().clamp_min(1e-300)).item<double>();
}

// CPU bf16 autocast over a scope (as bf16 training runs its forward passes).
class CpuBf16Autocast {
 public:
  CpuBf16Autocast() {
    at::autocast::set_autocast_dtype(c10::DeviceType::CPU, torch::kBFloat16);
    at::autocast::set_autocast_enabled(c10::DeviceType::CPU, true);
  }
  ~CpuBf16Autocast() {
    at::autocast::set_autocast_enabled(c10::DeviceType::CPU, false);
    at::autocast::clear_cache();
  }
};

inline bool channels_last(const torch::Tensor& t) {
  return t.is_contiguous(torch::MemoryFormat::ChannelsLast) && !t.is_contiguous();
}

}  // namespace lrid::test

// Conv1D MLP trajectory classifier (science.md §6.6).
//
// Input trajectories x are [n, T, C]: T time points (usually 21) and C = 3 + M
// channels (the layer-position one-hot plus M observables). The network is
//   conv1d over time (F filters, kernel k, stride s, 'valid', bias) -> ReLU
//   -> temporal pooling (max | avg over time -> [F]; none -> flatten to [L*F])
//   -> linear to the K classes (bias) -> softmax,
// with L = floor((T - k) / s) + 1. The `none` flatten order is time-major, as
// Keras' Flatten on a [L, F] feature map: feature index = l * F + f.
//
// Initialisation is Glorot-uniform with TF/Keras fans (conv: fan_in = k*C,
// fan_out = k*F; linear: fan_in = D, fan_out = K), biases zero. Training
// minimises mean softmax cross-entropy + wd/2 * (sum of squares of all four
// parameter tensors) with Adam (0.9, 0.999, 1e-8) at a constant learning rate;
// the rows are reshuffled every epoch (seeded) and the last incomplete batch
// is dropped. Everything is float32 on the CPU and deterministic for a seed.
// The convolution runs as im2col (unfold) + one GEMM on the [B, T, C] layout,
// with the parameters of a torch::nn::Conv1d (weight [F, C, k], bias [F]).
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/optim/adam.h>
#include <torch/serialize/archive.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lrid {

// Temporal pooling after the convolution.
enum class Conv1dPooling { kNone, kMax, kAvg };

// "none" | "max" | "avg" -> enum; throws ConfigError for anything else.
Conv1dPooling parse_conv1d_pooling(const std::string& name);

// Plain public fields with the reference defaults (science.md §6.6).
struct Conv1dMlpOptions {
  int64_t filters = 20;           // F, number of conv filters
  int64_t kernel = 1;             // k, kernel length in time points
  int64_t stride = 1;             // s
  std::string pooling = "none";   // none | max | avg
  double lr = 1e-3;               // constant Adam learning rate
  double weight_decay = 0.0;      // wd of the loss' wd/2 * ||theta||^2 term
  int64_t batch_size = 512;       // > number of training rows is a ConfigError
  int64_t epochs = 400;           // 0 only initialises the network
  uint64_t seed = 0;              // init and per-epoch shuffles

  // Throws ConfigError (with the offending option) for any invalid value.
  void validate() const;
  // validate(), and also a kernel longer than the T time points of the data.
  void validate(int64_t T) const;
  // Output length of the convolution, floor((T - k) / s) + 1 (after validate(T)).
  int64_t output_length(int64_t T) const;
};

// The network: forward([B, T, C]) -> logits [B, K].
class Conv1dMlpNetImpl : public torch::nn::Module {
 public:
  // Validates `o` against T and builds zero-initialised layers; call reset(gen)
  // (or load weights) before use.
  Conv1dMlpNetImpl(const Conv1dMlpOptions& o, int64_t time_points, int64_t channels,
                   int64_t num_classes);

  // Glorot-uniform weights (TF fans) drawn from gen, conv first; zero biases.
  void reset(torch::Generator& gen);

  torch::Tensor forward(const torch::Tensor& x);  // [B, T, C] -> [B, K]
  // The pooled features fed to the linear layer: [B, F] (max/avg) or [B, L*F] (none).
  torch::Tensor features(const torch::Tensor& x);
  // wd/2 * (||conv W||^2 + ||conv b||^2 + ||lin W||^2 + ||lin b||^2), a 0-dim tensor.
  torch::Tensor penalty(double weight_decay) const;

  int64_t time_points() const { return time_points_; }
  int64_t channels() const { return channels_; }
  int64_t num_classes() const { return num_classes_; }
  int64_t output_length() const { return out_len_; }
  int64_t feature_dim() const { return feature_dim_; }
  Conv1dPooling pooling() const { return pooling_; }

  torch::nn::Conv1d conv{nullptr};  // weight [F, C, k], bias [F]
  torch::nn::Linear fc{nullptr};    // weight [K, D], bias [K]

 private:
  int64_t time_points_, channels_, num_classes_, out_len_, feature_dim_;
  Conv1dPooling pooling_;
};
TORCH_MODULE(Conv1dMlpNet);

// The trainer-style classifier: fit, predict, save/load.
class Conv1dMlp {
 public:
  explicit Conv1dMlp(Conv1dMlpOptions o = {});

  // x: float32 [n, T, C] on the CPU, finite; y: int64 [n] in [0, num_classes).
  // Throws ConfigError for invalid options (batch_size > n included) and
  // DataError for non-finite x. Refitting starts from a fresh initialisation.
  void fit(const torch::Tensor& x, const torch::Tensor& y, int64_t num_classes);
  torch::Tensor predict_proba(const torch::Tensor& x) const;  // float64 [n, K], softmax
  torch::Tensor predict(const torch::Tensor& x) const;        // int64 [n], argmax

  // The options, the input shape and the weights (not the Adam state): a
  // loaded classifier predicts exactly as the saved one; fit starts afresh.
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

  // Building blocks of fit, public for tests and custom loops.
  // Validates the options against T, builds and initialises the network from
  // the seed and creates a fresh Adam optimiser.
  void initialize(int64_t time_points, int64_t channels, int64_t num_classes);
  // Training loss of a batch: mean CE(logits, y) + penalty(weight_decay), 0-dim.
  torch::Tensor loss(const torch::Tensor& xb, const torch::Tensor& yb) const;
  // One Adam step on the batch (after initialize); returns the loss before the step.
  double train_step(const torch::Tensor& xb, const torch::Tensor& yb);

  bool fitted() const { return !net_.is_empty(); }
  const Conv1dMlpOptions& options() const { return options_; }
  const Conv1dMlpNet& net() const { return net_; }
  Conv1dMlpNet& net() { return net_; }
  // Mean training loss (over the batches) of each epoch of the last fit.
  const std::vector<double>& epoch_losses() const { return epoch_losses_; }

 private:
  void check_input(const torch::Tensor& x, const char* what) const;

  Conv1dMlpOptions options_;
  Conv1dMlpNet net_{nullptr};
  std::unique_ptr<torch::optim::Adam> optimizer_;
  std::vector<double> epoch_losses_;
};

}  // namespace lrid

// The small model and optimizer of the checkpoint fuzz target; the seed
// generator (make_seeds.cpp) saves a checkpoint of the same pair.
#pragma once
#include <torch/torch.h>

namespace lrid::fuzz {

struct FuzzNet : torch::nn::Module {
  FuzzNet() {
    fc = register_module("fc", torch::nn::Linear(4, 3));
    bn = register_module("bn", torch::nn::BatchNorm1d(3));
  }
  torch::Tensor forward(const torch::Tensor& x) { return bn->forward(fc->forward(x)); }
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};

inline torch::optim::SGD make_optimizer(FuzzNet& net) {
  return torch::optim::SGD(net.parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
}

}  // namespace lrid::fuzz

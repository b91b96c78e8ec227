// Fuzz target: a training checkpoint (training/checkpoint.h load_checkpoint,
// a LibTorch archive) loaded into a small model and its SGD optimizer.
#include "fuzz_model.h"
#include "fuzz_util.h"
#include "training/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lrid::fuzz;
  const fs::path path = scratch() / "step_1.pt";
  write_file(path, std::string_view(reinterpret_cast<const char*>(data), size));
  FuzzNet net;
  torch::optim::SGD sgd = make_optimizer(net);
  return guarded([&] { lrid::load_checkpoint(path.string(), net, {{"optimizer", &sgd}}); });
}

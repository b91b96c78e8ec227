// The `run` section: batch size, seeds, device, threads, evaluation,
// checkpoints and logging of one training run.
#pragma once
#include <cstdint>
#include <string>

#include "core/options_binding.h"

namespace lrid {

struct RunOptions {
  int64_t batch_size = 128, eval_batch_size = 500;
  int64_t model_seed = 0, data_seed = 0;  // -1: fresh entropy, drawn and recorded by the config
  std::string device = "auto";            // auto | cpu | cuda
  int64_t threads = 0;                    // intra-op CPU threads; 0: all cores
  std::string precision = "auto";         // auto | fp32 | bf16 | fp16 (training/compute_settings.h)
  std::string memory_format = "auto";     // auto | contiguous | channels_last
  double eval_every = 1.0, checkpoint_every = 1.0;  // epochs; 0: at the end only
  int64_t keep_checkpoints = 2, log_every = 50;
  std::string name;  // run name; default: the config file's stem
};

const OptionsBinding<RunOptions>& run_binding();
RunOptions run_options(const Params& params);

}  // namespace lrid

// The `run` section's parameters. See run_options.h.
#include "training/run_options.h"

namespace lrid {

namespace {

void declare_run(OptionsBinding<RunOptions>& b) {
  b.add("batch_size", &RunOptions::batch_size).at_least(1).describe("training batch size (images)");
  b.add("eval_batch_size", &RunOptions::eval_batch_size).at_least(1).describe("evaluation batch size");
  b.add("model_seed", &RunOptions::model_seed).at_least(-1).describe("initial weights; -1: fresh entropy, recorded");
  b.add("data_seed", &RunOptions::data_seed).at_least(-1).describe("data order and augmentation; -1: fresh, recorded");
  b.add("device", &RunOptions::device).one_of({"auto", "cpu", "cuda"});
  b.add("threads", &RunOptions::threads).at_least(0).describe("intra-op CPU threads; 0: all cores");
  b.add("precision", &RunOptions::precision).one_of({"auto", "fp32", "bf16", "fp16"})
      .describe("training arithmetic: fp32, or bf16/fp16 autocast over fp32 weights (fp16: CUDA only); "
                "auto: the fastest measured for the device and architecture");
  b.add("memory_format", &RunOptions::memory_format).one_of({"auto", "contiguous", "channels_last"})
      .describe("layout of activations and conv kernels; auto: the fastest measured");
  b.add("eval_every", &RunOptions::eval_every).at_least(0)
      .describe("epochs between test evaluations; 0: at the end only");
  b.add("checkpoint_every", &RunOptions::checkpoint_every).at_least(0)
      .describe("epochs between checkpoints; 0: at the end only");
  b.add("keep_checkpoints", &RunOptions::keep_checkpoints).at_least(1)
      .describe("how many periodic checkpoints to keep");
  b.add("log_every", &RunOptions::log_every).at_least(1).describe("steps between metrics.csv rows");
  b.add("name", &RunOptions::name).describe("run name; default: the config file's stem");
}

}  // namespace

const OptionsBinding<RunOptions>& run_binding() { return bound_once<RunOptions, declare_run>(); }

RunOptions run_options(const Params& params) { return run_binding().parse(params); }

}  // namespace lrid

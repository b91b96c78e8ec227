// The `run` section's parameters. See run_options.h.
#include "training/run_options.h"

namespace lrid {

const OptionsBinding<RunOptions>& run_binding() {
  static const OptionsBinding<RunOptions> b = [] {
    using O = RunOptions;
    OptionsBinding<O> r;
    r.add("batch_size", &O::batch_size).at_least(1).describe("training batch size (images)");
    r.add("eval_batch_size", &O::eval_batch_size).at_least(1).describe("evaluation batch size");
    r.add("model_seed", &O::model_seed).at_least(-1).describe("initial weights; -1: fresh entropy, recorded");
    r.add("data_seed", &O::data_seed).at_least(-1).describe("data order and augmentation; -1: fresh, recorded");
    r.add("device", &O::device).one_of({"auto", "cpu", "cuda"});
    r.add("threads", &O::threads).at_least(0).describe("intra-op CPU threads; 0: all cores");
    r.add("eval_every", &O::eval_every).at_least(0).describe("epochs between test evaluations; 0: at the end only");
    r.add("checkpoint_every", &O::checkpoint_every).at_least(0).describe("epochs between checkpoints; 0: at the end only");
    r.add("keep_checkpoints", &O::keep_checkpoints).at_least(1).describe("how many periodic checkpoints to keep");
    r.add("log_every", &O::log_every).at_least(1).describe("steps between metrics.csv rows");
    r.add("name", &O::name).describe("run name; default: the config file's stem");
    return r;
  }();
  return b;
}

RunOptions run_options(const Params& params) { return run_binding().parse(params); }

}  // namespace lrid

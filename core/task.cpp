// The supervised classification task. See task.h.
#include "core/task.h"

#include <torch/torch.h>

#include "models/model.h"

namespace lrid {
namespace {

class SupervisedTask : public Task {
 public:
  TaskOutput loss(ModelImpl& model, const Batch& batch) override {
    torch::Tensor logits = model.forward(batch.images);
    TaskOutput out;
    out.loss = torch::nn::functional::cross_entropy(logits, batch.labels);
    {
      torch::NoGradGuard g;
      out.correct = logits.argmax(1).eq(batch.labels).sum();
    }
    out.count = batch.labels.size(0);
    return out;
  }
};

}  // namespace

torch::Tensor Task::probe_forward(ModelImpl& model, const torch::Tensor& images) { return model.forward(images); }

const Registry<TaskFactory>& task_registry() {
  static const Registry<TaskFactory> r = [] {
    Registry<TaskFactory> reg("task");
    reg.add("supervised", "classification with softmax cross-entropy", {},
            [](const Params&) -> std::unique_ptr<Task> { return std::make_unique<SupervisedTask>(); });
    return reg;
  }();
  return r;
}

std::unique_ptr<Task> make_task(const std::string& type, const Params& params) {
  return task_registry().at(type).factory(params);
}

double task_weight_decay(const std::string& type, const Params& params) { return -1.0; }

}  // namespace lrid

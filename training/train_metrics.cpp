// The test-split evaluation. See train_metrics.h.
#include "training/train_metrics.h"

#include <torch/torch.h>

namespace lrid {

Evaluation evaluate(ModelImpl& model, Task& task, const BatchLoader& loader, torch::Device device,
                    const ComputeSettings& compute) {
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  double loss_sum = 0;
  int64_t correct = 0, count = 0;
  for (int64_t i = 0; i < loader.batches_per_epoch(); ++i) {
    Batch b = loader.batch(0, i);
    b.images = to_memory_format(b.images.to(device), compute);
    b.labels = b.labels.to(device);
    AutocastScope autocast(device, compute);
    TaskOutput out = task.loss(model, b);
    loss_sum += out.loss.item<double>() * static_cast<double>(out.count);
    correct += out.correct.item<int64_t>();
    count += out.count;
  }
  model.train(was_training);
  return {count ? loss_sum / count : 0.0, count ? static_cast<double>(correct) / count : 0.0};
}

}  // namespace lrid

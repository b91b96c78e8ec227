// The supervised and SimCLR tasks. See task.h.
#include "training/task.h"

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

class SimclrTask : public Task {
 public:
  explicit SimclrTask(const TaskOptions& o)
      : temperature_(o.temperature), projection_dim_(o.projection_dim), views_(o.views) {}
  TaskOutput loss(ModelImpl& model, const Batch& batch) override {
    TORCH_CHECK(batch.images.size(0) % 2 == 0, "simclr: a batch must hold two views per image, got ",
                batch.images.size(0), " images");
    NtXent r = nt_xent(model.forward(batch.images), temperature_);
    return {r.loss, r.correct, batch.images.size(0)};
  }
  int64_t projection_dim() const override { return projection_dim_; }
  ViewOptions views() const override { return views_; }

 private:
  double temperature_;
  int64_t projection_dim_;
  ViewOptions views_;
};

OptionsBinding<TaskOptions> simclr_options() {
  using O = TaskOptions;
  O p;
  p.projection_dim = 128;
  p.weight_decay = 1e-6;
  p.views.enabled = true;
  OptionsBinding<O> b(p);
  auto view = [](auto ViewOptions::*f) {
    using T = std::remove_reference_t<decltype(std::declval<ViewOptions&>().*f)>;
    return OptionsBinding<O>::Access<T>([f](O& o) -> T& { return o.views.*f; });
  };
  b.add("temperature", &O::temperature).above(0).describe("NT-Xent temperature τ");
  b.add("projection_dim", &O::projection_dim).at_least(1).describe("output size of head_contrastive/nl_1");
  b.add("weight_decay", &O::weight_decay).at_least(0)
      .describe("coupled L2 of the whole network (unless optimizer.parameters.weight_decay is set)");
  b.add("crop_scale_min", view(&ViewOptions::crop_scale_min)).above(0).at_most(1)
      .describe("random resized crop: smallest area fraction");
  b.add("hflip", view(&ViewOptions::hflip)).describe("random horizontal flips");
  b.add("color_jitter_prob", view(&ViewOptions::jitter_prob)).at_least(0).at_most(1);
  b.add("color_jitter_strength", view(&ViewOptions::jitter_strength)).at_least(0)
      .describe("s: brightness/contrast/saturation 0.8 s, hue 0.2 s (hue/saturation on RGB only)");
  b.add("grayscale_prob", view(&ViewOptions::grayscale_prob)).at_least(0).at_most(1).describe("RGB only");
  b.add("blur_prob", view(&ViewOptions::blur_prob)).at_least(0).at_most(1).describe("Gaussian blur, sigma U[0.1, 2]");
  return b;
}

}  // namespace

torch::Tensor Task::probe_forward(ModelImpl& model, const torch::Tensor& images) { return model.forward(images); }

NtXent nt_xent(const torch::Tensor& z, double temperature) {
  TORCH_CHECK(z.dim() == 2 && z.size(0) % 2 == 0 && z.size(0) >= 2, "nt_xent: z must be [2n, P], got ", z.sizes());
  TORCH_CHECK(temperature > 0, "nt_xent: the temperature must be > 0, got ", temperature);
  const int64_t n = z.size(0) / 2;
  torch::Tensor h = torch::nn::functional::normalize(z, torch::nn::functional::NormalizeFuncOptions().dim(1));
  torch::Tensor h1 = h.slice(0, 0, n), h2 = h.slice(0, n, 2 * n);
  torch::Tensor mask = torch::eye(n, h.options()) * 1e9;
  torch::Tensor ab = h1.matmul(h2.t()) / temperature, aa = h1.matmul(h1.t()) / temperature - mask;
  torch::Tensor ba = h2.matmul(h1.t()) / temperature, bb = h2.matmul(h2.t()) / temperature - mask;
  torch::Tensor la = torch::cat({ab, aa}, 1), lb = torch::cat({ba, bb}, 1);
  torch::Tensor target = torch::arange(n, torch::TensorOptions().dtype(torch::kInt64).device(z.device()));
  NtXent out;
  out.loss = torch::nn::functional::cross_entropy(la, target) + torch::nn::functional::cross_entropy(lb, target);
  torch::NoGradGuard g;
  out.correct = la.argmax(1).eq(target).sum() + lb.argmax(1).eq(target).sum();
  return out;
}

const Registry<TaskSpec>& task_registry() {
  static const Registry<TaskSpec> r = [] {
    Registry<TaskSpec> reg("task");
    reg.add_typed("supervised", "classification with softmax cross-entropy",
                  TaskSpec{OptionsBinding<TaskOptions>(), [](const TaskOptions&) -> std::unique_ptr<Task> {
                             return std::make_unique<SupervisedTask>();
                           }});
    reg.add_typed("simclr", "SimCLR: two augmented views per image, projection head, NT-Xent loss",
                  TaskSpec{simclr_options(),
                           [](const TaskOptions& o) -> std::unique_ptr<Task> { return std::make_unique<SimclrTask>(o); }});
    return reg;
  }();
  return r;
}

TaskOptions task_options(const std::string& type, const Params& params) {
  return parse_typed<TaskOptions>(task_registry(), type, params);
}

std::unique_ptr<Task> make_task(const TaskOptions& options) { return task_registry().at(options.type).factory.make(options); }

}  // namespace lrid

// Precision and memory format: `auto` resolved and recorded, fp16 refused on
// a CPU, channels-last conversion in place, the autocast scope, no layout
// conversion inside a channels-last training step except at the flatten into
// the classifier, and the science guard: a bf16 run stays within a band of the
// fp32 run of the same seeds, for every rule.
#include "training/compute_settings.h"

#include <ATen/autocast_mode.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <ATen/record_function.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/errors.h"
#include "models/registry.h"
#include "observables/stream.h"
#include "rules/rule.h"
#include "test_paths.h"
#include "test_util.h"
#include "training/task.h"
#include "training/trainer.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

Config settings_config(std::vector<std::string> overrides = {}) {
  return load_config(std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/good.yaml", overrides);
}

TEST(ComputeSettings, AutoIsResolvedFromTheTableAndRecorded) {
  Config c = settings_config({"run.parameters.device=cpu"});
  resolve_compute_settings(c);
  const ComputeSettings pick = auto_compute_settings(torch::kCPU, "knet", "sgdm");
  EXPECT_EQ(c.run.params.get_string("precision"), pick.precision);
  EXPECT_EQ(c.run.params.get_string("memory_format"), pick.memory_format);
  EXPECT_EQ(c.auto_resolved, (std::vector<std::string>{"precision", "memory_format"}));
  // The table: KNet channels-last everywhere on a CPU, bf16 where the CPU has it natively.
  EXPECT_EQ(pick.memory_format, "channels_last");
  EXPECT_EQ(pick.precision, cpu_has_native_bf16() ? "bf16" : "fp32");
  EXPECT_EQ(auto_compute_settings(torch::kCPU, "alexnet", "fa").precision, "fp32");
  // ResNet: channels-last in either precision (measured faster in both).
  const ComputeSettings resnet = auto_compute_settings(torch::kCPU, "resnet18", "ia");
  EXPECT_EQ(resnet.precision, cpu_has_native_bf16() ? "bf16" : "fp32");
  EXPECT_EQ(resnet.memory_format, "channels_last");
  // WM stays fp32 (outside the accuracy band in bench/precision_science.py), channels-last still.
  const ComputeSettings wm = auto_compute_settings(torch::kCPU, "knet", "wm");
  EXPECT_EQ(wm.precision, "fp32");
  EXPECT_EQ(wm.memory_format, "channels_last");
  EXPECT_EQ(auto_compute_settings(torch::Device(torch::kCUDA, 0), "knet", "fa").precision, "fp32");
}

TEST(ComputeSettings, ExplicitValuesAreKept) {
  Config c = settings_config({"run.parameters.precision=fp32", "run.parameters.memory_format=contiguous"});
  resolve_compute_settings(c);
  EXPECT_EQ(c.run.params.get_string("precision"), "fp32");
  EXPECT_EQ(c.run.params.get_string("memory_format"), "contiguous");
  EXPECT_TRUE(c.auto_resolved.empty());
}

TEST(ComputeSettings, Fp16OnACpuIsAConfigErrorNamingTheKey) {
  Config c = settings_config({"run.parameters.device=cpu", "run.parameters.precision=fp16"});
  test::expect_error<ConfigError>([&] { resolve_compute_settings(c); }, "run.parameters.precision");
}

TEST(ComputeSettings, UnknownValueIsAConfigErrorNamingTheKey) {
  test::expect_error<ConfigError>([] { settings_config({"run.parameters.memory_format=nhwc"}); },
                                  "memory_format");
}

// KNet on 16x16 inputs with `channels` input channels, 4 classes, under `rule` at its defaults.
Model knet_with(const std::string& rule, int64_t channels) {
  const ConfigSource src{"test", {}};
  const Params model = parse_params(model_registry().schema("knet"), YAML::Load("{}"), src, "model.parameters");
  const Params r = parse_params(rule_registry().schema(rule), YAML::Load("{}"), src, "rule.parameters");
  return make_model("knet", model, channels, 16, 4, 0, layer_rule(rule, r));
}

TEST(ComputeSettings, ModuleToChannelsLastKeepsTensorIdentity) {
  Model m = knet_with("fa", 1);
  // conv2 (conv1's kernel has one input channel, which both layouts describe).
  const torch::Tensor w = m->layers()[1].layer->weight(), b = m->layers()[1].layer->feedback();
  const torch::Tensor before = w.clone();
  to_memory_format(*m, ComputeSettings{"fp32", "channels_last"});
  // The handles taken before the conversion see it (optimizers hold such handles).
  EXPECT_TRUE(w.is_contiguous(torch::MemoryFormat::ChannelsLast) && !w.is_contiguous());
  EXPECT_TRUE(b.is_contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::equal(w, before));
  to_memory_format(*m, ComputeSettings{"fp32", "contiguous"});
  EXPECT_TRUE(w.is_contiguous());
}

TEST(ComputeSettings, OneInputChannelKernelGetsChannelsLastStrides) {
  // A [32, 1, 5, 5] kernel is contiguous in both layouts; ATen's convolution
  // picks its output layout from the kernel's strides, so unless the kernel
  // gets channels-last strides, a grey-scale network's first block runs NCHW.
  Model m = knet_with("sgdm", 1);
  const torch::Tensor w = m->layers()[0].layer->weight(), before = w.clone();
  const ComputeSettings cl{"fp32", "channels_last"};
  to_memory_format(*m, cl);
  EXPECT_EQ(w.suggest_memory_format(), torch::MemoryFormat::ChannelsLast);
  EXPECT_TRUE(torch::equal(w, before));
  const torch::Tensor x = to_memory_format(torch::randn({4, 1, 16, 16}), cl);
  EXPECT_EQ(x.suggest_memory_format(), torch::MemoryFormat::ChannelsLast);
  const torch::Tensor y = torch::conv2d(x, w, {}, 1, 2);  // [4, 32, 16, 16]
  EXPECT_TRUE(y.is_contiguous(torch::MemoryFormat::ChannelsLast) && !y.is_contiguous());
  to_memory_format(*m, ComputeSettings{"fp32", "contiguous"});
  EXPECT_EQ(w.suggest_memory_format(), torch::MemoryFormat::Contiguous);
  // x.contiguous() would keep x's channels-last strides (C = 1 is contiguous in
  // both): the images need the same conversion as the kernel.
  const torch::Tensor x_nchw = to_memory_format(x, ComputeSettings{"fp32", "contiguous"});
  EXPECT_EQ(x_nchw.suggest_memory_format(), torch::MemoryFormat::Contiguous);
  EXPECT_TRUE(torch::conv2d(x_nchw, w, {}, 1, 2).is_contiguous());
}

TEST(ComputeSettings, AutocastScopeCastsInsideAndRestoresOutside) {
  const torch::Tensor a = torch::randn({4, 4}), b = torch::randn({4, 4});
  {
    AutocastScope scope(torch::kCPU, ComputeSettings{"bf16", "contiguous"});
    EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kBFloat16);
    AutocastScope off(torch::kCPU, ComputeSettings{"fp32", "contiguous"});  // fp32: no change
    EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kFloat);
  EXPECT_FALSE(at::autocast::is_autocast_enabled(c10::DeviceType::CPU));
}

// Records copies between 4-D tensors of different layouts (NCHW <->
// channels-last): every conversion (contiguous(), clone(), to()) ends in
// aten::copy_; the op that called it is kept for the failure message.
struct LayoutConversions {
  struct Conversion {
    std::vector<int64_t> shape;
    std::string caller;
  };
  static thread_local std::vector<Conversion> seen;
  static thread_local std::vector<std::string> ops;  // the ops being run, outermost first
  static int layout(const torch::Tensor& t) {
    if (t.dim() != 4) return 0;
    const bool nchw = t.is_contiguous(), cl = t.is_contiguous(torch::MemoryFormat::ChannelsLast);
    return nchw == cl ? 0 : (nchw ? 1 : 2);  // 0: both or neither (C = 1, 1x1, strided)
  }
  static std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
    ops.emplace_back(fn.name());
    if (ops.back() != "aten::copy_") return nullptr;
    const auto inputs = fn.inputs();
    if (inputs.size() < 2 || !inputs[0].isTensor() || !inputs[1].isTensor()) return nullptr;
    const int dst = layout(inputs[0].toTensor()), src = layout(inputs[1].toTensor());
    if (dst != 0 && src != 0 && dst != src)
      seen.push_back({inputs[0].toTensor().sizes().vec(),
                      fmt::format("{}", fmt::join(ops.begin() + std::max<std::ptrdiff_t>(0, ops.size() - 5), ops.end() - 1, " > "))});
    return nullptr;
  }
  static void on_end(const at::RecordFunction&, at::ObserverContext*) { ops.pop_back(); }
};
thread_local std::vector<LayoutConversions::Conversion> LayoutConversions::seen;
thread_local std::vector<std::string> LayoutConversions::ops;

TEST(ComputeSettings, ChannelsLastStepConvertsOnlyAtTheFlatten) {
  for (const std::string rule : {"sgdm", "fa", "ia", "kp"}) {
    torch::manual_seed(0);
    Model m = knet_with(rule, 3);
    const ComputeSettings cl{"fp32", "channels_last"};
    to_memory_format(*m, cl);
    m->train();
    const torch::Tensor x = to_memory_format(torch::randn({8, 3, 16, 16}), cl);
    auto handle = at::addThreadLocalCallback(at::RecordFunctionCallback(&LayoutConversions::on_start,
                                                                       &LayoutConversions::on_end)
                                                  .needsInputs(true)
                                                  .scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION}));
    LayoutConversions::seen.clear();
    torch::Tensor loss = m->forward(x).square().mean();
    torch::Tensor align = m->take_alignment_loss();
    (align.defined() ? loss + align : loss).backward();
    at::removeCallback(handle);
    // Activations ([8, ...]) convert only where KNet's last feature map, [8, 64, 2, 2],
    // is flattened into fc4 (which must see NCHW order); kernels only where ATen's
    // convolution backward returns a weight gradient (in NCHW), as in backprop itself:
    // once per conv layer, twice under IA (W's gradient and the one of B's local loss).
    int64_t kernels = 0;
    for (const auto& c : LayoutConversions::seen) {
      const std::string what = fmt::format("{}: {} converted by {}", rule, fmt::join(c.shape, "x"), c.caller);
      if (c.shape[0] == 8) EXPECT_EQ(c.shape, (std::vector<int64_t>{8, 64, 2, 2})) << what;
      else ++kernels;
    }
    EXPECT_LE(kernels, 3 * (rule == "ia" ? 2 : 1)) << rule << ": conversions of kernels (3 conv layers)";
  }
}

// The last recorded value of every (layer, observable) of a run's full-measurement stream.
std::map<std::string, double> final_observables(const fs::path& run_dir) {
  std::map<std::string, double> out;
  const StreamValues s = read_stream(run_dir / "observables" / "full.csv");
  for (const auto& [layer, by_name] : s.value)
    for (const auto& [name, points] : by_name) out[layer + "/" + name] = points.rbegin()->second;
  return out;
}

// Median over the (layer, observable) pairs finite in both of |a - b| / max(|b|, 1e-6).
double median_relative_difference(const std::map<std::string, double>& a, const std::map<std::string, double>& b) {
  std::vector<double> rel;
  for (const auto& [key, vb] : b) {
    const double va = a.at(key);
    if (std::isfinite(va) && std::isfinite(vb)) rel.push_back(std::abs(va - vb) / std::max(std::abs(vb), 1e-6));
  }
  if (rel.empty()) return std::nan("");
  std::nth_element(rel.begin(), rel.begin() + rel.size() / 2, rel.end());
  return rel[rel.size() / 2];
}

// Science guard (bf16 must change what is measured only through the training
// itself): for every rule, a bf16 run and an fp32 run of the same seeds both
// finish, land within 0.15 test accuracy of each other, and their final
// observables differ by no more than those of two fp32 runs whose only
// difference is the data order (data_seed 0 vs 1), with a 1.5x margin: bf16
// moves a trajectory less than another draw of the batches does.
TEST(ComputeSettings, Bf16RunStaysWithinBandOfFp32ForEveryRule) {
  test::TempDir t;
  for (const std::string& rule : rule_registry().names()) {
    std::map<std::string, TrainResult> results;
    std::map<std::string, std::map<std::string, double>> observables;
    for (const std::string run : {"fp32", "bf16", "fp32_data_seed1"}) {
      Config c = load_config(std::string(LRID_SOURCE_DIR) + "/configs/rules/" + rule + ".yaml",
                             {"data.type=synthetic",
                              "data.parameters={num_classes: 4, channels: 1, image_size: 16, train_size: 256, "
                              "noise: 1.0, test_size: 256, input_size: 16}",
                              "schedule.parameters.epochs=4", "run.parameters.batch_size=32",
                              "run.parameters.threads=1", "run.parameters.memory_format=contiguous",
                              "run.parameters.precision=" + run.substr(0, 4),
                              "run.parameters.data_seed=" + std::string(run == "fp32_data_seed1" ? "1" : "0"),
                              "observables.parameters.points=5"});
      TrainOptions o;
      o.progress = false;
      const fs::path dir = t.path() / (rule + "_" + run);
      results[run] = train(c, dir, o);
      ASSERT_EQ(results[run].status, "finished") << rule << " " << run << ": " << results[run].reason;
      observables[run] = final_observables(dir);
    }
    EXPECT_NEAR(results["bf16"].test_accuracy, results["fp32"].test_accuracy, 0.15) << rule;
    const double precision_diff = median_relative_difference(observables["bf16"], observables["fp32"]);
    const double data_order_diff = median_relative_difference(observables["fp32_data_seed1"], observables["fp32"]);
    EXPECT_LE(precision_diff, 1.5 * data_order_diff) << rule;
    // The measured band, for the README (ctest -V shows it).
    std::printf("%s: test accuracy fp32 %.3f bf16 %.3f; final observables, median relative difference: "
                "bf16 vs fp32 %.4f, data order %.4f\n",
                rule.c_str(), results["fp32"].test_accuracy, results["bf16"].test_accuracy, precision_diff,
                data_order_diff);
  }
}

}  // namespace
}  // namespace lrid

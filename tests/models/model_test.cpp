// Tests of models/model: the architecture list, option validation with
// ConfigError, weight-decay defaults and device/dtype moves of every model.
#include "models/model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/errors.h"
#include "model_checks.h"
#include "test_util.h"

namespace lrid {
namespace {

using namespace model_checks;

TEST(Model, ArchitectureNamesInOrder) {
  EXPECT_EQ(architecture_names(),
            (std::vector<std::string>{"resnet18", "resnet18v2", "resnet34", "resnet34v2", "alexnet",
                                      "alexnetlrn", "knet", "knetlrn", "knetc4", "knetc4lrn"}));
}

// The ConfigError message of building `o`, or "" if it builds.
std::string error_of(const ModelOptions& o) {
  return test::error_message<ConfigError>([&] { build_model(o); });
}

TEST(Model, RejectsBadOptionsWithAConfigError) {
  EXPECT_NE(error_of(options("resnet50", 3, 32)).find("resnet50"), std::string::npos);
  auto o = options("knet", 0, 32);
  EXPECT_NE(error_of(o).find("in_channels"), std::string::npos);
  o = options("knet", 3, 32);
  o.num_classes = 1;
  EXPECT_NE(error_of(o).find("num_classes"), std::string::npos);
  EXPECT_NE(error_of(options("alexnet", 3, 10)).find("input_size 10"), std::string::npos);
  EXPECT_NE(error_of(options("knet", 3, 0)).find("input_size 0"), std::string::npos);
  o = options("alexnet", 3, 32);
  o.dropout = 1.0;
  EXPECT_NE(error_of(o).find("dropout"), std::string::npos);
  o = options("resnet18", 3, 32);
  o.width = 0;
  EXPECT_NE(error_of(o).find("width must be >= 1, got 0"), std::string::npos);
  o = options("knet", 3, 32);
  o.bn_eps = 0.0;
  EXPECT_NE(error_of(o).find("bn_eps"), std::string::npos);
  EXPECT_EQ(error_of(options("alexnet", 3, 11)), "");
  EXPECT_EQ(error_of(options("resnet18", 3, 1)), "");
  EXPECT_EQ(error_of(options("knetc4", 1, 1)), "");
}

TEST(Model, DefaultWeightDecay) {
  EXPECT_DOUBLE_EQ(build_model(options("resnet18v2", 3, 32))->default_weight_decay(), 1e-4);
  EXPECT_DOUBLE_EQ(build_model(options("alexnetlrn", 3, 32))->default_weight_decay(), 5e-4);
  EXPECT_DOUBLE_EQ(build_model(options("knetc4", 3, 32))->default_weight_decay(), 1e-5);
}

TEST(Model, ArchitectureAndOptionsAreKept) {
  auto o = options("knetlrn", 1, 28, 9);
  Model m = build_model(o);
  EXPECT_EQ(m->architecture(), "knetlrn");
  EXPECT_EQ(m->options().seed, 9u);
  EXPECT_EQ(m->options().in_channels, 1);
}

// A reduced width scales every stage's channels and keeps the layer list.
TEST(Model, ResNetWidthScalesEveryStage) {
  auto o = options("resnet18", 1, 28);
  o.width = 16;
  Model narrow = build_model(o);
  Model full = build_model(options("resnet18", 1, 28));
  ASSERT_EQ(narrow->layers().size(), full->layers().size());
  EXPECT_EQ(narrow->feature_dim(), 128);  // 16 * 2^3
  EXPECT_EQ(full->feature_dim(), 512);
  auto params = narrow->named_parameters();
  EXPECT_EQ(params["conv0.weight"].sizes(), torch::IntArrayRef({16, 1, 7, 7}));
  EXPECT_EQ(params["block_group4_1.conv1.weight"].sizes(), torch::IntArrayRef({128, 128, 3, 3}));
  EXPECT_EQ(narrow->forward(torch::randn({2, 1, 28, 28})).sizes(), torch::IntArrayRef({2, 10}));
}

TEST(Model, ParameterNamesAreHierarchicalAndStable) {
  Model m = build_model(options("resnet18", 3, 32));
  const auto keys = m->named_parameters().keys();
  EXPECT_EQ(keys.front(), "conv0.weight");
  EXPECT_NE(std::find(keys.begin(), keys.end(), "block_group1_0.conv0.weight"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "block_group4_1.bn2.bias"), keys.end());
  EXPECT_EQ(keys.back(), "dense.bias");
  const auto buffers = m->named_buffers().keys();
  EXPECT_NE(std::find(buffers.begin(), buffers.end(), "bn0.running_mean"), buffers.end());
  EXPECT_EQ(build_model(options("resnet18", 3, 32))->named_parameters().keys(), keys);
}

TEST(Model, EveryModelMovesToDoubleAndRuns) {
  for (const auto& arch : {"resnet18", "resnet18v2", "alexnet", "knet", "knetc4lrn"}) {
    SCOPED_TRACE(arch);
    Model m = build_model(options(arch, 3, 32));
    m->to(torch::kDouble);
    for (const auto& l : m->layers()) EXPECT_EQ(l.layer->weight().scalar_type(), torch::kDouble);
    m->eval();
    torch::NoGradGuard no_grad;
    EXPECT_EQ(m->forward(images(2, 3, 32).to(torch::kDouble)).scalar_type(), torch::kDouble);
  }
}

// The word task's cochleagrams are 50 filters x 200 frames: every architecture
// takes input_size x input_width inputs (KNet and AlexNet size their first dense
// layer from both axes; ResNets pool globally), and too narrow an input is a ConfigError.
TEST(Model, NonSquareInputsRunThroughEveryArchitecture) {
  for (const auto& arch : {"resnet18", "resnet34v2", "alexnet", "alexnetlrn", "knet", "knetc4lrn"}) {
    SCOPED_TRACE(arch);
    ModelOptions o = options(arch, 1, 50);
    o.input_width = 200;
    if (std::string(arch).rfind("resnet", 0) == 0) o.width = 8;
    Model m = build_model(o);
    m->eval();
    torch::NoGradGuard no_grad;
    EXPECT_EQ(m->forward(torch::randn({2, 1, 50, 200})).sizes(), (std::vector<int64_t>{2, o.num_classes}));
    // The same network refuses a narrower input (its dense layer is sized for 50 x 200).
    if (std::string(arch).rfind("resnet", 0) != 0) EXPECT_ANY_THROW(m->forward(torch::randn({2, 1, 50, 100})));
  }
  ModelOptions o = options("knet", 1, 50);
  o.input_width = 200;
  EXPECT_EQ(build_model(o)->features(torch::randn({1, 1, 50, 200})).size(1), 64 * 7 * 25);  // 3 pools: 50->7, 200->25
  o = options("alexnet", 1, 50);
  o.input_width = 10;
  EXPECT_NE(error_of(o).find("input_width 10 is too small for alexnet"), std::string::npos);
  o.input_width = -1;
  EXPECT_NE(error_of(o).find("input_width must be >= 0"), std::string::npos);
}

TEST(Model, MovesToCudaWhenAvailable) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (const auto& arch : architecture_names()) {
    SCOPED_TRACE(arch);
    Model m = build_model(options(arch, 3, 32));
    m->to(torch::kCUDA);
    for (const auto& l : m->layers()) EXPECT_TRUE(l.layer->weight().is_cuda());
    m->train();
    const auto y = m->forward(images(2, 3, 32).to(torch::kCUDA));
    EXPECT_TRUE(y.is_cuda());
    y.sum().backward();
  }
}

}  // namespace
}  // namespace lrid

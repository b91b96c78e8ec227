// Generalisation with known answers: when the rule signature is shared by both
// architectures, a forest trained on one identifies the rules on the other;
// when the second architecture carries the opposite signature, it cannot.
#include <gtest/gtest.h>

#include "core/errors.h"
#include "experiments/experiment_test_data.h"
#include "experiments/experiments.h"
#include "test_util.h"

namespace lrid {
namespace {

using namespace testing;

double held_out(const std::filesystem::path& dir, const std::string& value) {
  return accuracy_of(read_csv_rows(dir / "generalization.csv"),
                     {{"held_out_key", "architecture"}, {"held_out_value", value}, {"observables", "weight"}});
}

TEST(Generalization, SharedSignaturesTransferFlippedOnesDoNot) {
  test::TempDir t;
  SyntheticSpec s = informative_spec({"weightraw_mean"}, 2.0);
  s.rows_per_rule = 30;
  auto outs = run_on(synthetic_dataset(s), t.path() / "shared", "generalization", {"measures=[weight]", "by=[architecture,task]"});
  EXPECT_GT(held_out(t.path() / "shared" / "results" / "generalization", "knet"), 0.85);
  EXPECT_GT(held_out(t.path() / "shared" / "results" / "generalization", "resnet18"), 0.85);
  // Split by seed group (the default): a quarter of the held-out architecture's 8 seed groups test,
  // the other architecture's rows of the remaining groups train.
  const auto rows = read_csv_rows(t.path() / "shared" / "results" / "generalization" / "generalization.csv");
  EXPECT_GT(std::stoi(rows[0].at("n_train")), 2 * std::stoi(rows[0].at("n_test")));
  EXPECT_GT(std::stoi(rows[0].at("n_test")), 0);
  // Split by row (the paper's protocol): 15 rows per rule and architecture -> floor(0.9 * 15) = 13
  // train and test rows per rule.
  run_on(synthetic_dataset(s), t.path() / "by_row", "generalization",
         {"measures=[weight]", "by=[architecture]", "group_by=row"});
  const auto by_row = read_csv_rows(t.path() / "by_row" / "results" / "generalization" / "generalization.csv");
  EXPECT_EQ(by_row[0].at("n_train"), "13");
  EXPECT_EQ(by_row[0].at("n_test"), "13");
  ASSERT_FALSE(outs[0].findings.empty());
  EXPECT_EQ(outs[0].findings[0].verdict, "agrees");
  s.flip_by_architecture = true;
  auto flipped =
      run_on(synthetic_dataset(s), t.path() / "flipped", "generalization", {"measures=[weight]", "by=[architecture]"});
  EXPECT_LT(held_out(t.path() / "flipped" / "results" / "generalization", "knet"), 0.45);
  ASSERT_FALSE(flipped[0].findings.empty());
  EXPECT_EQ(flipped[0].findings[0].verdict, "disagrees");  // the claim is false here
}

TEST(Generalization, Options) {
  const GeneralizationOptions d = generalization_binding().parse(experiment_params("generalization", "{}"));
  EXPECT_EQ(d.classifier, GeneralizationOptions{}.classifier);
  EXPECT_EQ(d.by, (std::vector<std::string>{"architecture", "task", "batch_size", "model_seed"}));
  const GeneralizationOptions o =
      generalization_binding().parse(experiment_params("generalization", "{classifier: svm, by: [dataset_seed]}"));
  EXPECT_EQ(o.classifier, "svm");
  EXPECT_EQ(o.by, std::vector<std::string>{"dataset_seed"});
  test::expect_error<ConfigError>([] { experiment_params("generalization", "{by: [layer]}"); }, "layer");
}

}  // namespace
}  // namespace lrid

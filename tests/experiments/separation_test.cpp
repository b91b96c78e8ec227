// Separation on synthetic trajectories whose answer is known: rules differ only
// in two weight statistics, so weights (and all) separate them, activations and
// the activity change stay near chance; outputs, figures and findings are written.
#include <gtest/gtest.h>

#include "experiments/experiment_test_data.h"
#include "test_util.h"

namespace lrid {
namespace {

using namespace testing;

TEST(Separation, InformativeMeasureSeparatesOthersStayAtChance) {
  test::TempDir t;
  SyntheticSpec s;
  s.informative = {"weightraw_median", "weightabs_norm"};
  auto outs = run_on(synthetic_dataset(s), t.path(), "separation", {"classifiers=[rf,svm]"});
  ASSERT_EQ(outs.size(), 1u);
  const auto dir = t.path() / "results" / "separation";
  const auto acc = read_csv_rows(dir / "accuracy.csv");
  ASSERT_EQ(acc.size(), 8u);  // 2 classifiers x 4 observable sets
  // Graded signatures (rule r at level r * signal) are not linearly separable one-vs-rest: the SVM gets less.
  EXPECT_GT(accuracy_of(acc, {{"classifier", "rf"}, {"observables", "weight"}}), 0.9);
  EXPECT_GT(accuracy_of(acc, {{"classifier", "rf"}, {"observables", "all"}}), 0.75);
  EXPECT_GT(accuracy_of(acc, {{"classifier", "svm"}, {"observables", "weight"}}), 0.55);
  EXPECT_GT(accuracy_of(acc, {{"classifier", "svm"}, {"observables", "all"}}), 0.45);
  for (const char* c : {"rf", "svm"}) {
    EXPECT_LT(accuracy_of(acc, {{"classifier", c}, {"observables", "act"}}), 0.5) << c;  // chance 0.25
    EXPECT_LT(accuracy_of(acc, {{"classifier", c}, {"observables", "grad"}}), 0.5) << c;
  }
  // 2 classifiers x 4 sets x 16 cells; the canonical class order.
  const auto conf = read_csv_rows(dir / "confusion.csv");
  ASSERT_EQ(conf.size(), 2u * 4u * 16u);
  EXPECT_EQ(conf[0].at("true"), "adam");
  EXPECT_EQ(conf[4].at("true"), "sgdm");
  for (const char* f : {"accuracy.svg", "confusion.svg", "pair_confusion.csv", "manifest.json", "runs/rf_weight/results.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / f)) << f;
  // The single-measure finding: act and grad are not above chance here.
  ASSERT_FALSE(outs[0].findings.empty());
  EXPECT_EQ(outs[0].findings[0].verdict, "partly");
  // The manifest round-trips.
  ExperimentOutput m = read_manifest(dir);
  EXPECT_EQ(m.name, "separation");
  EXPECT_EQ(m.figures.size(), outs[0].figures.size());
  EXPECT_EQ(m.findings.size(), outs[0].findings.size());
}

}  // namespace
}  // namespace lrid

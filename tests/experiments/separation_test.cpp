// Separation on synthetic trajectories whose answer is known: rules differ only
// in two weight statistics, so weights (and all) separate them, activations and
// the activity change stay near chance; outputs, figures and findings are written.
#include <gtest/gtest.h>

#include "classifiers/registry.h"
#include "core/errors.h"
#include "experiments/experiment_test_data.h"
#include "experiments/experiments.h"
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

// Where the claims are false: no statistic carries the rule, so no single measure is well above
// chance and the forest confuses every rule with the others.
TEST(Separation, FindingsDisagreeWhereNothingSeparates) {
  test::TempDir t;
  SyntheticSpec s;
  s.rows_per_rule = 16;
  s.time_points = 5;
  auto outs = run_on(synthetic_dataset(s), t.path(), "separation", {"classifiers=[rf,svm]", "splits=3"});
  ASSERT_GE(outs[0].findings.size(), 2u);
  EXPECT_EQ(outs[0].findings[0].verdict, "disagrees") << outs[0].findings[0].measured;
  EXPECT_NE(outs[0].findings[1].verdict, "agrees") << outs[0].findings[1].measured;
  EXPECT_NE(outs[0].findings[1].measured.find("fails"), std::string::npos);  // "rarely confuses" fails
}

TEST(Separation, OptionsAndTheirDocumentedDefaults) {
  const SeparationOptions d = separation_binding().parse(experiment_params("separation", "{}"));
  EXPECT_EQ(d.classifiers, (std::vector<std::string>{"rf", "svm", "conv1d"}));
  // The confusion panels follow the reproduction report's Figure 1; the report's best classifier is the forest.
  EXPECT_EQ(d.confusion_order, (std::vector<std::string>{"conv1d", "rf", "svm"}));
  EXPECT_EQ(classifier_spec(d.best_classifier).label, "Random forest");
  EXPECT_EQ(separation_binding().parse(experiment_params("separation", "{classifiers: [svm]}")).classifiers,
            std::vector<std::string>{"svm"});
  test::expect_error<ConfigError>([] { experiment_params("separation", "{classifiers: [knn]}"); }, "knn");
}

TEST(Separation, ConfusionPanelsFollowTheReportsOrderNotTheGivenOne) {
  test::TempDir t;
  auto outs = run_on(synthetic_dataset(quick_spec()), t.path(), "separation",
                     {"classifiers=[svm,rf]", "measures=[weight]", "splits=2", "set=C=1"});
  const std::string conf = read_file(t.path() / "results" / "separation" / "confusion.svg");
  ASSERT_NE(conf.find("Random forest (mean accuracy"), std::string::npos);
  EXPECT_LT(conf.find("Random forest (mean accuracy"), conf.find("Linear SVM (mean accuracy"));
  // The accuracy bars keep the given order: the SVM's legend entry first.
  const std::string acc = read_file(t.path() / "results" / "separation" / "accuracy.svg");
  EXPECT_LT(acc.find(">Linear SVM</text>"), acc.find(">Random forest</text>"));
  ASSERT_GE(outs[0].findings.size(), 2u);
  EXPECT_EQ(outs[0].findings[1].finding, "The random forest is the best classifier and rarely confuses rules.");
}

}  // namespace
}  // namespace lrid

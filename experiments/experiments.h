// The six experiments (registered in experiments/registry.cpp), each as its
// schema (the keys it adds to common_schema()), its typed options, the one
// function that parses validated Params into them, and its run. Internal to
// experiments/. The classifier names below are defaults of documented choices
// (the registry checks every name a user gives).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/params.h"
#include "core/options_binding.h"
#include "experiments/experiment.h"

namespace lrid {

// §7(a): each classifier on each observable set; accuracy and confusion matrices.
struct SeparationOptions {
  std::vector<std::string> classifiers = {"rf", "svm", "conv1d"};  // compared (accuracy.svg's bar order)
  // The panels of confusion.svg: those of `classifiers`, in this order, which is
  // the reproduction report's Figure 1 (Conv1D, RF, SVM) so the two compare side by side.
  std::vector<std::string> confusion_order = {"conv1d", "rf", "svm"};
  // The classifier the report finds best (its finding: "the random forest is the best classifier").
  std::string best_classifier = "rf";
  // The classifiers the report finds to confuse Adam with SGDM more than IA with FA.
  std::vector<std::string> pair_classifiers = {"svm", "conv1d"};
};
// The parameters of separation beyond the common ones, bound to SeparationOptions.
const OptionsBinding<SeparationOptions>& separation_binding();
ExperimentOutput run_separation(const ExperimentContext& ctx, const SeparationOptions& o);

// §7(b): Gini importance per statistic.
struct ImportanceOptions {
  // Gini importances are the random forest's (per-tree importances of its splits).
  std::string classifier = "rf";
};
// The parameters of importance beyond the common ones, bound to ImportanceOptions.
const OptionsBinding<ImportanceOptions>& importance_binding();
ExperimentOutput run_importance(const ExperimentContext& ctx, const ImportanceOptions& o);

// §7(c): random subsets of time points from the dense, intermediate and sparse schemes.
struct SubsamplingOptions {
  std::string classifier = "rf";  // the report's reference: the random forest
  std::vector<std::string> schemes = {"dense", "intermediate", "sparse"};
  int64_t repeats = 5;                                      // random subsets per (scheme, k)
  std::vector<int64_t> dense_k = {1, 2, 3, 4, 5, 7, 10, 14, 21};  // k of the dense scheme (the others: every k)
  bool window = false;  // also k consecutive scheme points from a random start
};
// The parameters of subsampling beyond the common ones, bound to SubsamplingOptions.
const OptionsBinding<SubsamplingOptions>& subsampling_binding();
ExperimentOutput run_subsampling(const ExperimentContext& ctx, const SubsamplingOptions& o);

// §7(d): statistic-level noise and the recorded unit-undersampling/noise conditions.
struct NoiseOptions {
  std::string classifier = "rf";
  std::vector<double> variances = {0, 0.5, 1, 5, 10};  // statistic-level noise variances
  bool recorded = true;                                // also classify the recorded measurement conditions
};
// The parameters of noise beyond the common ones, bound to NoiseOptions.
const OptionsBinding<NoiseOptions>& noise_binding();
ExperimentOutput run_noise(const ExperimentContext& ctx, const NoiseOptions& o);

// §7(e): train on some values of a meta column, test on a held-out one.
struct GeneralizationOptions {
  std::string classifier = "rf";
  std::vector<std::string> by = {"architecture", "task", "batch_size", "model_seed"};  // columns held out in turn
};
// The parameters of generalization beyond the common ones, bound to GeneralizationOptions.
const OptionsBinding<GeneralizationOptions>& generalization_binding();
ExperimentOutput run_generalization(const ExperimentContext& ctx, const GeneralizationOptions& o);

// How early a rule can be told: the protocol on trajectory prefixes (the first k record points).
struct PrefixOptions {
  std::string classifier = "rf";
  std::vector<int64_t> lengths;  // prefix lengths k (ascending); empty: every k = 1..T (T is always added)
  double share = 0.9;            // "earliest": the first k from which every longer prefix keeps this share of the full accuracy
};
// The parameters of prefix beyond the common ones, bound to PrefixOptions.
const OptionsBinding<PrefixOptions>& prefix_binding();
ExperimentOutput run_prefix(const ExperimentContext& ctx, const PrefixOptions& o);

}  // namespace lrid

// Classification metrics (science.md §6.7). Per class c of a confusion matrix
// C (rows: true class, columns: predicted): TP = C[c,c], FN = row sum - TP,
// FP = column sum - TP, TN = the rest; TPR = TP/(TP+FN), TNR = TN/(TN+FP),
// FPR = FP/(FP+TN). Balanced accuracy = (TPR + TNR)/2; d' = clip(z(TPR), ±5) -
// clip(z(FPR), ±5) with z the standard normal quantile (z(1) = +inf clips to
// 5). A class without rows gives NaN rates. s.e.m. = sample std (ddof 1)/sqrt(n).
#pragma once
#include <cstdint>
#include <vector>

namespace lrid {

using Confusion = std::vector<std::vector<double>>;  // [true][predicted], counts (or means of counts)

Confusion confusion_matrix(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted, int64_t k);
double accuracy(const Confusion& c);
std::vector<double> balanced_accuracy(const Confusion& c);
std::vector<double> d_prime(const Confusion& c);
// Element-wise mean of equally sized matrices.
Confusion mean_confusion(const std::vector<Confusion>& cs);
// The standard normal quantile (inverse CDF), for p in (0, 1); +-inf at 1 and 0.
double normal_quantile(double p);
double mean(const std::vector<double>& v);
double sem(const std::vector<double>& v);  // NaN for fewer than two values

}  // namespace lrid

// Metrics. See metrics.h.
#include "classifiers/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lrid {

Confusion confusion_matrix(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted, int64_t k) {
  Confusion c(static_cast<std::size_t>(k), std::vector<double>(static_cast<std::size_t>(k), 0.0));
  for (std::size_t i = 0; i < truth.size(); ++i) c[static_cast<std::size_t>(truth[i])][static_cast<std::size_t>(predicted[i])] += 1;
  return c;
}

double accuracy(const Confusion& c) {
  double diag = 0, total = 0;
  for (std::size_t i = 0; i < c.size(); ++i)
    for (std::size_t j = 0; j < c.size(); ++j) {
      total += c[i][j];
      if (i == j) diag += c[i][j];
    }
  return total > 0 ? diag / total : std::nan("");
}

namespace {
struct Rates {
  double tpr, tnr, fpr;
};
Rates rates(const Confusion& c, std::size_t k) {
  double total = 0, row = 0, col = 0;
  for (std::size_t i = 0; i < c.size(); ++i)
    for (std::size_t j = 0; j < c.size(); ++j) {
      total += c[i][j];
      if (i == k) row += c[i][j];
      if (j == k) col += c[i][j];
    }
  const double tp = c[k][k], fn = row - tp, fp = col - tp, tn = total - tp - fn - fp;
  auto ratio = [](double a, double b) { return b > 0 ? a / b : std::nan(""); };
  return {ratio(tp, tp + fn), ratio(tn, tn + fp), ratio(fp, fp + tn)};
}
double clipped_z(double p) { return std::clamp(normal_quantile(p), -5.0, 5.0); }
}  // namespace

std::vector<double> balanced_accuracy(const Confusion& c) {
  std::vector<double> out;
  for (std::size_t k = 0; k < c.size(); ++k) {
    Rates r = rates(c, k);
    out.push_back((r.tpr + r.tnr) / 2.0);
  }
  return out;
}

std::vector<double> d_prime(const Confusion& c) {
  std::vector<double> out;
  for (std::size_t k = 0; k < c.size(); ++k) {
    Rates r = rates(c, k);
    out.push_back(std::isnan(r.tpr) || std::isnan(r.fpr) ? std::nan("") : clipped_z(r.tpr) - clipped_z(r.fpr));
  }
  return out;
}

Confusion mean_confusion(const std::vector<Confusion>& cs) {
  if (cs.empty()) return {};
  Confusion m = cs.front();
  for (auto& row : m) std::fill(row.begin(), row.end(), 0.0);
  for (const auto& c : cs)
    for (std::size_t i = 0; i < m.size(); ++i)
      for (std::size_t j = 0; j < m.size(); ++j) m[i][j] += c[i][j] / static_cast<double>(cs.size());
  return m;
}

double normal_quantile(double p) {
  if (p <= 0) return -std::numeric_limits<double>::infinity();
  if (p >= 1) return std::numeric_limits<double>::infinity();
  // Acklam's rational approximation, refined by one Halley step on erfc (|error| < 1e-15).
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  double x;
  if (p < 0.02425) {
    double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p > 1 - 0.02425) {
    double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? std::nan("") : s / static_cast<double>(v.size());
}

double sem(const std::vector<double>& v) {
  if (v.size() < 2) return std::nan("");
  const double m = mean(v);
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(v.size() - 1)) / std::sqrt(static_cast<double>(v.size()));
}

}  // namespace lrid

// The training window's running sums: per-batch means of the loss and the
// alignment loss, accuracy over images, and a reset between metrics rows.
#include "training/train_metrics.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace lrid {
namespace {

TaskOutput batch_output(double loss, int64_t correct, int64_t count) {
  TaskOutput out;
  out.loss = torch::tensor(loss, torch::kFloat);
  out.correct = torch::tensor(correct, torch::kLong);
  out.count = count;
  return out;
}

TEST(TrainWindow, MeansOverBatchesAndAccuracyOverImages) {
  TrainWindow w(torch::kCPU);
  w.add(batch_output(1.0, 3, 4), torch::tensor(0.5f));
  w.add(batch_output(3.0, 1, 4), torch::Tensor());  // a batch without an alignment loss
  EXPECT_DOUBLE_EQ(w.mean_loss(), 2.0);
  EXPECT_DOUBLE_EQ(w.mean_align(), 0.25);
  EXPECT_DOUBLE_EQ(w.accuracy(), 0.5);
  w.reset();
  EXPECT_DOUBLE_EQ(w.mean_loss(), 0.0);
  EXPECT_DOUBLE_EQ(w.accuracy(), 0.0);
  w.add(batch_output(4.0, 2, 2), torch::Tensor());
  EXPECT_DOUBLE_EQ(w.mean_loss(), 4.0);
  EXPECT_DOUBLE_EQ(w.accuracy(), 1.0);
}

}  // namespace
}  // namespace lrid

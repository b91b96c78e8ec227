// `lrid dataset info` (trajectories/dataset_summary.h) on a dataset built by
// hand: sizes, the epoch range, rows per rule and per setting (only the
// settings present, in a fixed order), rows with a non-finite value, and the
// attributes cut to 200 characters.
#include "trajectories/dataset_summary.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

namespace lrid {
namespace {

MetaColumn string_column(std::vector<std::string> values) {
  MetaColumn c;
  c.strings = std::move(values);
  return c;
}

// Four rows, three time points, two observables; row 2 holds an infinity.
TrajectoryDataset summary_dataset() {
  TrajectoryDataset d;
  d.x = torch::zeros({4, 3, 2});
  d.x[2][1][0] = INFINITY;
  d.x_cat = torch::zeros({4, 3, 3});
  d.y = {"fa", "sgdm", "fa", "adam"};
  d.obs_keys = {"weightraw_mean", "actraw_mean"};
  d.time_epochs = torch::tensor({0.0, 0.5, 2.0}, torch::kFloat64);
  d.meta["architecture"] = string_column({"knet", "resnet18", "knet", "knet"});
  d.meta["condition"] = string_column({"noise1", "full", "full", "noise1"});
  d.meta["layer"] = string_column({"conv1", "conv1", "fc4", "fc4"});  // not summarised
  MetaColumn batch;
  batch.kind = MetaColumn::Kind::kInt;
  batch.ints = {256, 128, 128, 256};
  d.meta["batch_size"] = batch;
  d.attributes["lrid_version"] = "0.3.0";
  d.attributes["config"] = std::string(150, 'a') + std::string(100, 'b');
  return d;
}

TEST(DatasetSummary, SizesCountsNonFiniteRowsAndAttributes) {
  EXPECT_EQ(dataset_summary(summary_dataset()),
            "rows 4  time points 3  observables 2\n"
            "epochs 0 … 2\n"
            "rules: adam 1 fa 2 sgdm 1\n"
            "architecture: knet 3 resnet18 1\n"
            "condition: full 2 noise1 2\n"
            "batch_size: 128 2 256 2\n"
            "rows with non-finite values: 1\n"
            "attribute config: " + std::string(150, 'a') + std::string(50, 'b') + "\n"
            "attribute lrid_version: 0.3.0\n");
}

TEST(DatasetSummary, NanRowsCountOnceAndAbsentPartsAreLeftOut) {
  TrajectoryDataset d = summary_dataset();
  d.x[2][0][1] = NAN;  // a second non-finite value in the same row
  d.x[0][2][1] = NAN;
  d.meta.clear();
  d.attributes.clear();
  d.meta["task"] = string_column({"supervised", "simclr", "supervised", "supervised"});
  d.meta["layer_position"] = string_column({"early", "deep", "deep", "middle"});
  d.time_epochs = torch::Tensor();
  EXPECT_EQ(dataset_summary(d),
            "rows 4  time points 3  observables 2\n"
            "rules: adam 1 fa 2 sgdm 1\n"
            "task: simclr 1 supervised 3\n"
            "layer_position: deep 2 early 1 middle 1\n"
            "rows with non-finite values: 2\n");
}

}  // namespace
}  // namespace lrid

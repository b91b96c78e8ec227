// Collating runs into a dataset: rows per (run, layer, condition), labels,
// one-hot positions, metadata, skipped unfinished runs, and empty or foreign
// directories as DataErrors.
#include "trajectories/dataset_builder.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "training/config.h"
#include "core/errors.h"
#include "core/files.h"
#include "training/trainer.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

TEST(DatasetBuilder, OneRowPerRunLayerAndCondition) {
  const fs::path root = fs::temp_directory_path() / fmt::format("lrid_dsb_{}", static_cast<long>(getpid()));
  fs::remove_all(root);
  TrainOptions o;
  o.progress = false;
  const std::string cfg = std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/good.yaml";
  for (const std::string rule : {"sgdm", "fa"})
    ASSERT_EQ(train(load_config(cfg, {"rule.type=" + rule, "observables.parameters.noise_stddevs=[0, 1]",
                                      "observables.parameters.probe_batch=16"}),
                    root / "sweep" / rule, o).status, "finished");
  // An interrupted run is skipped, not collated.
  o.stop_at_step = 2;
  ASSERT_EQ(train(load_config(cfg, {"rule.type=adam"}), root / "sweep" / "adam", o).status, "interrupted");

  DatasetBuildReport report;
  TrajectoryDataset d = build_dataset({(root / "sweep").string()}, {}, &report);
  EXPECT_EQ(report.runs_found, 3);
  EXPECT_EQ(report.runs_used, 2);
  ASSERT_EQ(report.skipped.size(), 1u);
  EXPECT_EQ(d.rows(), 2 * 4 * 2);  // runs x KNet layers x conditions
  EXPECT_EQ(d.time_points(), 21);
  EXPECT_EQ(d.obs_keys.size(), 24u);
  EXPECT_EQ(report.dropped_observables.size(), 21u);
  EXPECT_EQ(std::count(d.y.begin(), d.y.end(), "fa"), 8);
  EXPECT_EQ(d.meta.at("architecture").strings[0], "knet");
  EXPECT_EQ(d.meta.at("layer").strings[3], "fc4");
  EXPECT_EQ(d.meta.at("layer_position").strings[3], "deep");
  EXPECT_EQ(d.x_cat[3][0][2].item<float>(), 1.0f);
  EXPECT_EQ(d.x_cat[0][0][0].item<float>(), 1.0f);  // conv1: early
  EXPECT_TRUE(d.x.isfinite().all().item<bool>());
  // The first record of a run is its initialisation: weight statistics equal across rules (same model seed).
  EXPECT_EQ(d.x[0][0][0].item<float>(), d.x[8][0][0].item<float>());
  DatasetBuildOptions all;
  all.all45 = true;
  all.conditions = {"noise1"};
  TrajectoryDataset e = build_dataset({(root / "sweep").string()}, all);
  EXPECT_EQ(e.obs_keys.size(), 45u);
  EXPECT_EQ(e.rows(), 2 * 4);
  // Round trip through the file.
  write_dataset((root / "d.h5").string(), d);
  EXPECT_EQ(read_dataset((root / "d.h5").string()).y, d.y);
  // Empty and foreign directories.
  fs::create_directories(root / "empty");
  EXPECT_THROW(build_dataset({(root / "empty").string()}, {}), DataError);
  EXPECT_THROW(build_dataset({(root / "nonexistent").string()}, {}), DataError);
  fs::remove_all(root);
}

// A run still training (here: stopped at step 10 of 20) reads as the points it
// has recorded, equal to the same points of the uninterrupted run.
TEST(DatasetBuilder, ReadsARunSoFarAsThePrefixOfTheFinishedRun) {
  test::TempDir dir;
  TrainOptions o;
  o.progress = false;
  const std::string cfg = std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/good.yaml";
  const auto config = load_config(cfg, {"schedule.parameters.epochs=5", "observables.parameters.probe_batch=16"});
  ASSERT_EQ(train(config, dir.path() / "whole", o).status, "finished");
  o.stop_at_step = 10;
  ASSERT_EQ(train(config, dir.path() / "part", o).status, "interrupted");

  const TrajectoryDataset whole = read_run_so_far((dir.path() / "whole").string());
  EXPECT_EQ(whole.time_points(), 21);
  EXPECT_EQ(whole.rows(), 4);  // KNet's recorded layers
  EXPECT_TRUE(torch::equal(whole.x, build_dataset({(dir.path() / "whole").string()}, {}).x));
  EXPECT_EQ(whole.attributes.at("run_points"), "21");

  const TrajectoryDataset part = read_run_so_far((dir.path() / "part").string());
  ASSERT_GT(part.time_points(), 1);
  ASSERT_LT(part.time_points(), 21);
  EXPECT_EQ(part.attributes.at("run_points"), "21");
  EXPECT_EQ(part.meta.at("layer").strings, whole.meta.at("layer").strings);
  EXPECT_TRUE(torch::equal(part.x, whole.x.slice(1, 0, part.time_points())));
  EXPECT_TRUE(torch::equal(part.time_epochs, whole.time_epochs.slice(0, 0, part.time_points())));
  EXPECT_EQ(read_run_so_far((dir.path() / "part").string(), "full", true).obs_keys.size(), 45u);

  test::expect_error<DataError>([&] { read_run_so_far((dir.path() / "part").string(), "noise5"); },
                                "records no condition 'noise5'");
  test::expect_error<DataError>([&] { read_run_so_far(dir.path().string()); }, "config.yaml");
}

}  // namespace
}  // namespace lrid

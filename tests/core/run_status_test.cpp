// status.json of a run (core/run_status.h): "status" first then the other keys
// in alphabetical order, non-finite results as strings, a round trip through
// the file, no status without the file, and "unreadable" for a malformed one.
#include "core/run_status.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/files.h"
#include "test_util.h"

namespace lrid {
namespace {

std::vector<std::string> keys_of(const Json& j) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  return keys;
}

RunStatus finished_status() {
  RunStatus s;
  s.status = "finished";
  s.step = s.total_steps = 800;
  s.result = RunStatus::Result{0.875, std::nan(""), 12.5, 10.25, 1.5, 6400.0, "cpu", 2, 4, "0.3.0", "abc123"};
  return s;
}

TEST(RunStatus, StatusFirstThenAlphabeticalKeys) {
  RunStatus running;
  running.status = "running";
  running.step = 3;
  running.total_steps = 8;
  EXPECT_EQ(json_text(running.to_json()), "{\n  \"status\": \"running\",\n  \"step\": 3,\n  \"total_steps\": 8\n}\n");
  RunStatus diverged = running;
  diverged.status = "diverged";
  diverged.reason = "non-finite training loss (nan) by step 3";
  EXPECT_EQ(keys_of(diverged.to_json()), (std::vector<std::string>{"status", "reason", "step", "total_steps"}));
  const Json f = finished_status().to_json();
  EXPECT_EQ(keys_of(f), (std::vector<std::string>{"status", "device", "lrid_commit", "lrid_version", "record_time_s",
                                                  "step", "test_accuracy", "test_loss", "threads", "total_steps",
                                                  "train_images_per_s", "train_time_s", "wall_time_s",
                                                  "world_size"}));
  EXPECT_EQ(f["test_loss"], "NaN");  // non-finite values survive as strings
  EXPECT_EQ(f["test_accuracy"], 0.875);
  EXPECT_TRUE(finished_status().finished());
  EXPECT_FALSE(running.finished());
}

TEST(RunStatus, RoundTripThroughTheFile) {
  test::TempDir dir;
  write_status(dir.path(), finished_status());
  const auto back = read_status(dir.path());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->status, "finished");
  EXPECT_EQ(back->step, 800);
  EXPECT_EQ(back->total_steps, 800);
  EXPECT_EQ(back->reason, "");
  ASSERT_TRUE(back->result.has_value());
  const auto& r = *back->result;
  EXPECT_EQ(r.test_accuracy, 0.875);
  EXPECT_TRUE(std::isnan(r.test_loss));
  EXPECT_EQ(r.wall_time_s, 12.5);
  EXPECT_EQ(r.train_time_s, 10.25);
  EXPECT_EQ(r.record_time_s, 1.5);
  EXPECT_EQ(r.train_images_per_s, 6400.0);
  EXPECT_EQ(r.device, "cpu");
  EXPECT_EQ(r.threads, 2);
  EXPECT_EQ(r.world_size, 4);
  EXPECT_EQ(r.lrid_version, "0.3.0");
  EXPECT_EQ(r.lrid_commit, "abc123");
  EXPECT_EQ(back->to_json(), finished_status().to_json());
  EXPECT_EQ(status_name(dir.path()), "finished");
}

TEST(RunStatus, FromJsonFillsDefaultsAndRejectsMalformedObjects) {
  const RunStatus minimal = RunStatus::from_json(Json{{"status", "running"}}, "s.json");
  EXPECT_EQ(minimal.step, 0);
  EXPECT_FALSE(minimal.result.has_value());
  // A result with missing timings reads them as NaN (null), threads as 1.
  const RunStatus partial = RunStatus::from_json(Json{{"status", "finished"}, {"test_accuracy", 0.5}}, "s.json");
  ASSERT_TRUE(partial.result.has_value());
  EXPECT_TRUE(std::isnan(partial.result->wall_time_s));
  EXPECT_EQ(partial.result->threads, 1);
  test::expect_error<DataError>([] { RunStatus::from_json(Json{{"step", 1}}, "runs/a/status.json"); },
                                "runs/a/status.json: 'status' is missing");
  test::expect_error<DataError>([] { RunStatus::from_json(Json{{"status", 3}}, "runs/b/status.json"); },
                                "runs/b/status.json: malformed run status");
  test::expect_error<DataError>(
      [] { RunStatus::from_json(Json{{"status", "finished"}, {"test_accuracy", "high"}}, "runs/c/status.json"); },
      "runs/c/status.json");
}

TEST(RunStatus, MissingAndUnreadableFiles) {
  test::TempDir dir;
  EXPECT_FALSE(read_status(dir.path()).has_value());
  EXPECT_EQ(status_name(dir.path()), "");
  write_file_atomic(dir.path() / "status.json", "{\"status\": \"runn");  // torn by hand
  EXPECT_EQ(status_name(dir.path()), "unreadable");
  test::expect_error<DataError>([&] { read_status(dir.path()); }, (dir.path() / "status.json").string());
  write_file_atomic(dir.path() / "status.json", "[1, 2]");  // JSON, but not a status
  EXPECT_EQ(status_name(dir.path()), "unreadable");
  write_file_atomic(dir.path() / "status.json", "{\"status\": \"diverged\", \"reason\": \"nan\"}");
  EXPECT_EQ(status_name(dir.path()), "diverged");
  EXPECT_EQ(read_status(dir.path())->reason, "nan");
}

}  // namespace
}  // namespace lrid

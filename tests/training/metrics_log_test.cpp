// Append-only CSV logs (training/metrics_log.h): a fresh log is its header, rows
// are appended and flushed one by one, and a resumed log keeps the rows with
// step <= the checkpoint's step and drops later rows and a line torn by a
// crash, so the resumed run's file equals an uninterrupted run's.
#include "training/metrics_log.h"

#include <gtest/gtest.h>

#include <string>

#include "core/files.h"
#include "test_util.h"

namespace lrid {
namespace {

const char* kMetricsHeader = "step,split,loss";

TEST(MetricsLog, FreshLogIsItsHeaderThenFlushedRows) {
  test::TempDir dir;
  const auto p = dir.path() / "metrics.csv";
  write_file_atomic(p, "step,split,loss\n0,train,9\n");  // an old file is replaced when not resuming
  MetricsLog log(p, kMetricsHeader, -1);
  EXPECT_EQ(read_file(p), "step,split,loss\n");
  log.line("1,train,2.5");
  EXPECT_EQ(read_file(p), "step,split,loss\n1,train,2.5\n");  // visible at once
  log.line("1,test,2.75");
  EXPECT_EQ(read_file(p), "step,split,loss\n1,train,2.5\n1,test,2.75\n");
}

TEST(MetricsLog, ResumeKeepsRowsThroughTheStepAndEqualsAnUninterruptedLog) {
  test::TempDir dir;
  const auto whole = dir.path() / "whole.csv", cut = dir.path() / "cut.csv";
  {
    MetricsLog log(whole, kMetricsHeader, -1);
    for (int s = 1; s <= 6; ++s) log.line(fmt::format("{},train,{}", s, 10 - s));
  }
  {
    MetricsLog log(cut, kMetricsHeader, -1);
    for (int s = 1; s <= 5; ++s) log.line(fmt::format("{},train,{}", s, 10 - s));  // killed after step 5
  }
  {
    MetricsLog log(cut, kMetricsHeader, 3);  // resumed from the checkpoint at step 3
    EXPECT_EQ(read_file(cut), "step,split,loss\n1,train,9\n2,train,8\n3,train,7\n");
    for (int s = 4; s <= 6; ++s) log.line(fmt::format("{},train,{}", s, 10 - s));
  }
  EXPECT_EQ(read_file(cut), read_file(whole));
  // Resuming without a file starts with the header.
  MetricsLog fresh(dir.path() / "new.csv", kMetricsHeader, 4);
  EXPECT_EQ(read_file(dir.path() / "new.csv"), "step,split,loss\n");
}

TEST(MetricsLog, ATornLastLineIsDropped) {
  test::TempDir dir;
  const auto p = dir.path() / "alignment.csv";
  // Killed while writing the row of step 12: only "1" reached the disk. Read as
  // a step, it would pass for step 1 and be kept.
  write_file_atomic(p, "step,layer,angle\n10,fc4,30\n11,fc4,29\n1");
  {
    MetricsLog log(p, "step,layer,angle", 20);
    log.line("12,fc4,28");
  }
  EXPECT_EQ(read_file(p), "step,layer,angle\n10,fc4,30\n11,fc4,29\n12,fc4,28\n");
  // A line torn inside the step's digits or before them, or garbage, goes too.
  write_file_atomic(p, "step,layer,angle\n10,fc4,30\nx1,fc4\n,fc4,3\n");
  MetricsLog again(p, "step,layer,angle", 20);
  EXPECT_EQ(read_file(p), "step,layer,angle\n10,fc4,30\n");
}

}  // namespace
}  // namespace lrid

// Progress reporting (core/progress.h): durations as mm:ss or h:mm:ss, and on a
// non-terminal stderr (captured here) log lines limited to one per interval,
// with counts, percentage, rate and an ETA, plus a final line on finish().
#include "core/progress.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace lrid {
namespace {

using testing::internal::CaptureStderr;
using testing::internal::GetCapturedStderr;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Seconds of an "mm:ss" or "h:mm:ss" text.
double seconds_of(const std::string& text) {
  double total = 0;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, ':');) total = 60 * total + std::stod(part);
  return total;
}

TEST(Progress, FormatDuration) {
  EXPECT_EQ(format_duration(0), "00:00");
  EXPECT_EQ(format_duration(0.49), "00:00");
  EXPECT_EQ(format_duration(0.5), "00:01");  // rounded to the nearest second
  EXPECT_EQ(format_duration(59.4), "00:59");
  EXPECT_EQ(format_duration(59.5), "01:00");
  EXPECT_EQ(format_duration(754), "12:34");
  EXPECT_EQ(format_duration(3599.4), "59:59");
  EXPECT_EQ(format_duration(3600), "1:00:00");
  EXPECT_EQ(format_duration(3661), "1:01:01");
  EXPECT_EQ(format_duration(100 * 3600 + 5), "100:00:05");
  EXPECT_EQ(format_duration(-1), "--:--");  // unknown
  EXPECT_EQ(format_duration(std::nan("")), "--:--");
  EXPECT_EQ(format_duration(INFINITY), "--:--");
  EXPECT_EQ(format_duration(2e8), "--:--");
}

TEST(Progress, NonTerminalLinesAreRateLimitedAndTheLastIsAlwaysWritten) {
  CaptureStderr();  // stderr is now a file, not a terminal
  {
    Progress p("train run", 10, true, 3600.0);
    for (int64_t done = 0; done <= 9; ++done) p.update(done, "loss 1");
    p.update(10);  // the end is written whatever the interval
    p.finish("test acc 0.5");
  }
  const auto lines = lines_of(GetCapturedStderr());
  ASSERT_EQ(lines.size(), 3u) << testing::PrintToString(lines);
  EXPECT_EQ(lines[0].rfind("train run: 0/10 (0%) 0.0/s elapsed 00:00 ETA --:-- loss 1", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("train run: 10/10 (100%) ", 0), 0u) << lines[1];
  EXPECT_NE(lines[2].find("10/10 (100%)"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("ETA 00:00 test acc 0.5"), std::string::npos) << lines[2];
  // A zero interval writes every update; a disabled Progress writes nothing.
  CaptureStderr();
  {
    Progress every("x", 4, true, 0.0);
    for (int64_t done = 1; done <= 4; ++done) every.update(done);
    Progress off("y", 4, false, 0.0);
    off.update(1);
    off.finish();
  }
  const auto more = lines_of(GetCapturedStderr());
  ASSERT_EQ(more.size(), 4u);
  EXPECT_EQ(more[3].rfind("x: 4/4 (100%)", 0), 0u);
}

TEST(Progress, EtaFollowsTheRateSinceTheResumePoint) {
  CaptureStderr();
  {
    Progress p("sweep", 5100, true, 0.0);
    p.set_start(100);  // resumed: 100 units were done before this process
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    p.update(101);
  }
  const auto lines = lines_of(GetCapturedStderr());
  ASSERT_EQ(lines.size(), 1u);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(lines[0], m, std::regex(R"(^sweep: 101/5100 \(2%\) ([0-9.]+)/s elapsed \S+ ETA (\S+))")))
      << lines[0];
  // One unit in >= 0.2 s: at most 5 units/s, so the 4999 left take >= 1000 s
  // (counting from 0 would give a rate of 505/s and an ETA of about 10 s).
  EXPECT_LE(std::stod(m[1]), 5.0);
  const double eta = seconds_of(m[2]);
  EXPECT_GE(eta, 999.0);
  EXPECT_LE(eta, 4999.0 * 5);  // unless the 0.2 s sleep took over 5 s
}

}  // namespace
}  // namespace lrid

// `lrid stats` (app/cli_stats.cpp): the CSV and JSON outputs carry the same
// values, non-finite statistics are null in JSON and "nan" in CSV, and bad
// options are refused before the file is read.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "core/csv.h"
#include "core/files.h"
#include "core/json.h"
#include "test_util.h"

namespace lrid {
namespace {

using test::run_lrid;

// A CSV matrix [4 samples, 3 units]; unit values chosen so that every statistic is finite.
std::string stats_fixture(const test::TempDir& t) {
  const auto path = t.path() / "act.csv";
  write_file_atomic(path, "u0,u1,u2\n1,2,4\n2,-1,3\n0.5,7,-2\n3,1,1\n");
  return path.string();
}

TEST(CliStats, CsvAndJsonCarryTheSameValues) {
  test::TempDir t;
  const std::string input = stats_fixture(t);
  const auto csv = run_lrid("stats --input " + input + " --measure act --format csv 2>/dev/null");
  const auto json = run_lrid("stats --input " + input + " --measure act --format json 2>/dev/null");
  ASSERT_EQ(csv.code, 0) << csv.out;
  ASSERT_EQ(json.code, 0) << json.out;
  const Json j = Json::parse(json.out);
  EXPECT_EQ(j.at("shape"), Json::array({4, 3}));
  EXPECT_EQ(j.at("measure"), "act");
  const auto rows = parse_csv(csv.out);
  ASSERT_EQ(rows.front(), (CsvRow{"observable", "value"}));
  ASSERT_EQ(rows.size(), 22u);  // the header and the 21 act observables
  ASSERT_EQ(j.at("observables").size(), 21u);
  for (std::size_t i = 1; i < rows.size(); ++i)
    EXPECT_DOUBLE_EQ(std::stod(rows[i][1]), j.at("observables").at(rows[i][0]).get<double>()) << rows[i][0];
  // Mean over samples of each sample's raw mean over units: (7/3 + 4/3 + 5.5/3 + 5/3) / 4.
  EXPECT_NEAR(j.at("observables").at("actraw_mean").get<double>(), (7.0 + 4.0 + 5.5 + 5.0) / 12.0, 1e-12);
}

TEST(CliStats, NonFiniteStatisticsAreNullInJson) {
  test::TempDir t;
  const auto path = t.path() / "flat.csv";
  write_file_atomic(path, "2,2,2\n2,2,2\n");  // constant rows: skew and kurtosis are undefined
  const auto r = run_lrid("stats --input " + path.string() + " --measure act --format json 2>/dev/null");
  ASSERT_EQ(r.code, 0) << r.out;
  const Json j = Json::parse(r.out);
  EXPECT_TRUE(j.at("observables").at("actraw_skew").is_null()) << r.out;
  EXPECT_DOUBLE_EQ(j.at("observables").at("actraw_mean").get<double>(), 2.0);
}

TEST(CliStats, BadOptionsAreRefusedBeforeReading) {
  const auto zero = run_lrid("stats --input /nonexistent.npy --measure act --subsample 0");
  EXPECT_EQ(zero.code, 2) << zero.out;  // checked before the missing file
  EXPECT_NE(zero.out.find("--subsample"), std::string::npos) << zero.out;
  EXPECT_NE(run_lrid("stats --input x.npy --measure bogus").code, 0);
  EXPECT_NE(run_lrid("stats --input x.npy --format xml").code, 0);
}

}  // namespace
}  // namespace lrid

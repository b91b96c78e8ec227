// manifest.json: every field round-trips (NaN wall time too), the paper's
// experiment order, and a file that is not a manifest is refused naming it.
#include "experiments/manifest.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.h"
#include "core/files.h"
#include "test_util.h"

namespace lrid {
namespace {

ExperimentOutput sample_manifest() {
  ExperimentOutput o;
  o.name = "separation";
  o.title = "Quantifying separation";
  o.description = "bars \"quoted\" ± s.e.m.";
  o.figures = {{"accuracy.svg", "Accuracy", "caption"}, {"confusion.svg", "Confusion", ""}};
  o.tables = {{"accuracy.csv", "Accuracy table"}};
  o.findings = {{"RF best", "report", "0.9 against 0.8", "agrees"}};
  o.notes = {"a caveat"};
  o.wall_time_s = 12.5;
  return o;
}

TEST(Manifest, RoundTrip) {
  test::TempDir t;
  const ExperimentOutput o = sample_manifest();
  write_manifest(t.path(), o);
  const ExperimentOutput r = read_manifest(t.path());
  EXPECT_EQ(r.name, o.name);
  EXPECT_EQ(r.title, o.title);
  EXPECT_EQ(r.description, o.description);
  EXPECT_DOUBLE_EQ(r.wall_time_s, 12.5);
  ASSERT_EQ(r.figures.size(), 2u);
  EXPECT_EQ(r.figures[1].file, "confusion.svg");
  EXPECT_EQ(r.figures[0].caption, "caption");
  ASSERT_EQ(r.tables.size(), 1u);
  EXPECT_EQ(r.tables[0].title, "Accuracy table");
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].measured, "0.9 against 0.8");
  EXPECT_EQ(r.findings[0].verdict, "agrees");
  EXPECT_EQ(r.notes, o.notes);
}

TEST(Manifest, NonFiniteWallTimeRoundTrips) {
  test::TempDir t;
  ExperimentOutput o = sample_manifest();
  o.wall_time_s = NAN;
  write_manifest(t.path(), o);
  EXPECT_TRUE(std::isnan(read_manifest(t.path()).wall_time_s));
}

TEST(Manifest, MalformedFilesAreRefusedNamingThem) {
  test::TempDir t;
  write_file_atomic(t.path() / "manifest.json", "{\"name\": 3}");
  test::expect_error<DataError>([&] { read_manifest(t.path()); }, "manifest.json: not an lrid experiment manifest");
  write_file_atomic(t.path() / "manifest.json", "{\"name\": \"x\", \"title\": \"t\"}");  // fields missing
  test::expect_error<DataError>([&] { read_manifest(t.path()); }, "manifest.json");
}

TEST(Manifest, ThePapersExperimentsInOrder) {
  EXPECT_EQ(experiment_names(),
            (std::vector<std::string>{"separation", "importance", "subsampling", "noise", "generalization", "prefix"}));
}

}  // namespace
}  // namespace lrid

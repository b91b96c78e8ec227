// observables/index.json (observables/record_index.h): the JSON layout, a round
// trip of every field through the file (absent fractions and noise as null),
// and DataErrors naming the file for a missing or malformed index.
#include "observables/record_index.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/errors.h"
#include "core/files.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

RecordIndex sample_index() {
  RecordIndex x;
  x.run = "sgdm_seed3";
  x.conditions = {{"full", "full.csv", std::nullopt, std::nullopt, 0}, {"frac0.5_noise2_seed7", "frac0.5_noise2_seed7.csv", 0.5, 2.0, 7}};
  x.points = {{0, 0, 0.0}, {1, 5, 0.625}, {2, 8, 1.0}};
  x.layers = {{"conv1", "early", "conv", 0, 1600}, {"fc4", "deep", "dense", 3, -1}};
  x.observables = {"weightabs_kurtosis", "gradavgsq_id"};
  x.probe_size = 32;
  x.sample_reduction = "mean";
  x.gradavg_path = "forward";
  x.weight_norm_mode = "frobenius";
  return x;
}

TEST(RecordIndex, JsonLayout) {
  const Json j = sample_index().to_json();
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"run", "conditions", "points", "layers", "observables", "probe_size",
                                            "sample_reduction", "gradavg_path", "weight_norm_mode"}));
  EXPECT_EQ(j["conditions"][0].dump(),
            R"({"name":"full","file":"full.csv","obs_frac":null,"obs_stddev":null,"obs_seed":0})");
  EXPECT_EQ(j["conditions"][1]["obs_frac"], 0.5);
  EXPECT_EQ(j["points"][1].dump(), R"({"point":1,"step":5,"epoch":0.625})");
  EXPECT_EQ(j["layers"][0].dump(), R"({"name":"conv1","index":0,"position":"early","kind":"conv","weights":1600})");
}

TEST(RecordIndex, RoundTripThroughTheFile) {
  test::TempDir dir;
  ensure_directory(dir.path() / "observables");
  write_json(dir.path() / "observables" / "index.json", sample_index().to_json());
  const RecordIndex back = read_record_index(dir.path());
  const RecordIndex want = sample_index();
  EXPECT_EQ(back.run, want.run);
  ASSERT_EQ(back.conditions.size(), 2u);
  EXPECT_EQ(back.conditions[0].name, "full");
  EXPECT_FALSE(back.conditions[0].frac.has_value());
  EXPECT_FALSE(back.conditions[0].stddev.has_value());
  EXPECT_EQ(back.conditions[1].file, "frac0.5_noise2_seed7.csv");
  EXPECT_EQ(back.conditions[1].frac, 0.5);
  EXPECT_EQ(back.conditions[1].stddev, 2.0);
  EXPECT_EQ(back.conditions[1].seed, 7);
  ASSERT_EQ(back.points.size(), 3u);
  EXPECT_EQ(back.points[1].step, 5);
  EXPECT_EQ(back.points[1].epoch, 0.625);
  ASSERT_EQ(back.layers.size(), 2u);
  EXPECT_EQ(back.layers[1].name, "fc4");
  EXPECT_EQ(back.layers[1].position, "deep");
  EXPECT_EQ(back.layers[1].kind, "dense");
  EXPECT_EQ(back.layers[1].index, 3);
  EXPECT_EQ(back.layers[0].weights, 1600);
  EXPECT_EQ(back.observables, want.observables);
  EXPECT_EQ(back.probe_size, 32);
  EXPECT_EQ(back.weight_norm_mode, "frobenius");
  EXPECT_EQ(back.to_json(), want.to_json());
}

TEST(RecordIndex, OptionalFieldsHaveDefaults) {
  const Json minimal = Json::parse(R"({"conditions": [{"name": "full", "file": "full.csv"}],
                                       "points": [{"point": 0, "step": 0, "epoch": "NaN"}],
                                       "layers": [{"name": "conv1", "position": "early", "index": 0}]})");
  const RecordIndex x = RecordIndex::from_json(minimal, "index.json");
  EXPECT_EQ(x.run, "");
  EXPECT_EQ(x.conditions[0].seed, 0);
  EXPECT_FALSE(x.conditions[0].frac.has_value());
  EXPECT_TRUE(std::isnan(x.points[0].epoch));
  EXPECT_EQ(x.layers[0].weights, -1);
  EXPECT_EQ(x.layers[0].kind, "");
  EXPECT_TRUE(x.observables.empty());
}

TEST(RecordIndex, MissingOrMalformedIndexNamesTheFile) {
  test::TempDir dir;
  const fs::path file = dir.path() / "observables" / "index.json";
  test::expect_error<DataError>([&] { read_record_index(dir.path()); }, file.string() + ": missing");
  ensure_directory(file.parent_path());
  write_file_atomic(file, "{\"run\": \"r\", \"conditions\": [");  // torn
  test::expect_error<DataError>([&] { read_record_index(dir.path()); }, file.string());
  Json j = sample_index().to_json();
  j.erase("points");
  write_json(file, j);
  test::expect_error<DataError>([&] { read_record_index(dir.path()); }, file.string() + ": malformed observables index");
  j = sample_index().to_json();
  j["layers"][1]["index"] = "three";
  write_json(file, j);
  test::expect_error<DataError>([&] { read_record_index(dir.path()); }, file.string());
  j = sample_index().to_json();
  j["conditions"][1]["obs_frac"] = "half";
  write_json(file, j);
  test::expect_error<DataError>([&] { read_record_index(dir.path()); }, file.string());
}

}  // namespace
}  // namespace lrid

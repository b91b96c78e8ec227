// JSON files (core/json.h): non-finite numbers as "NaN"/"Infinity" strings or
// null and read back from both, the text layout (two spaces, final newline,
// keys in insertion order, UTF-8 as is), and DataErrors naming the file or key.
#include "core/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "core/errors.h"
#include "core/files.h"
#include "test_util.h"

namespace lrid {
namespace {

using test::expect_error;
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(Json, NonFiniteNumbersAsStringsOrNull) {
  EXPECT_EQ(json_real(std::nan("")).dump(), "\"NaN\"");
  EXPECT_EQ(json_real(kInf).dump(), "\"Infinity\"");
  EXPECT_EQ(json_real(-kInf).dump(), "\"-Infinity\"");
  EXPECT_EQ(json_real(0.1).dump(), "0.1");
  EXPECT_EQ(json_real(-3.0).dump(), "-3.0");
  EXPECT_EQ(json_real_or_null(std::nan("")).dump(), "null");
  EXPECT_EQ(json_real_or_null(-kInf).dump(), "null");
  EXPECT_EQ(json_real_or_null(2.5).dump(), "2.5");
}

TEST(Json, ToRealReadsBothConventionsBack) {
  EXPECT_EQ(json_to_real(Json(0.1), "x"), 0.1);
  EXPECT_EQ(json_to_real(Json(7), "x"), 7.0);
  EXPECT_TRUE(std::isnan(json_to_real(Json(nullptr), "x")));
  EXPECT_TRUE(std::isnan(json_to_real(Json("NaN"), "x")));
  EXPECT_EQ(json_to_real(Json("Infinity"), "x"), kInf);
  EXPECT_EQ(json_to_real(Json("-Infinity"), "x"), -kInf);
  for (double v : {1.0 / 3.0, -kInf, 1e-300})
    EXPECT_EQ(json_to_real(Json::parse(json_real(v).dump()), "x"), v);
  // Anything else is a DataError naming what was read.
  expect_error<DataError>([] { json_to_real(Json("nan"), "results.json: accuracy"); }, "results.json: accuracy");
  expect_error<DataError>([] { json_to_real(Json("1.5"), "w"); }, "\"1.5\"");
  expect_error<DataError>([] { json_to_real(Json(true), "flag"); }, "flag");
  expect_error<DataError>([] { json_to_real(Json::array({1}), "list"); }, "list");
}

TEST(Json, TextHasTwoSpaceIndentKeyOrderAndFinalNewline) {
  Json j;
  j["zeta"] = 1;
  j["alpha"] = Json::array({true, "é"});
  j["mid"] = {{"b", nullptr}, {"a", 0.5}};
  EXPECT_EQ(json_text(j),
            "{\n"
            "  \"zeta\": 1,\n"
            "  \"alpha\": [\n"
            "    true,\n"
            "    \"é\"\n"
            "  ],\n"
            "  \"mid\": {\n"
            "    \"b\": null,\n"
            "    \"a\": 0.5\n"
            "  }\n"
            "}\n");
  // Invalid UTF-8 is replaced, not thrown.
  EXPECT_EQ(json_text(Json(std::string("a\xff"))), "\"a\xef\xbf\xbd\"\n");
}

TEST(Json, WriteAndReadKeepValuesAndKeyOrder) {
  test::TempDir dir;
  const auto path = dir.path() / "results.json";
  Json j = {{"status", "finished"}, {"b_value", json_real(std::nan(""))}, {"a_list", {3, 2, 1}}};
  write_json(path, j);
  const Json back = read_json(path);
  EXPECT_EQ(back, j);
  std::vector<std::string> keys;
  for (const auto& [k, v] : back.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"status", "b_value", "a_list"}));
  EXPECT_TRUE(std::isnan(json_to_real(back["b_value"], "b")));
  EXPECT_EQ(read_file(path).back(), '\n');
}

TEST(Json, ReadErrorsNameTheFile) {
  test::TempDir dir;
  const auto bad = dir.path() / "index.json";
  write_file_atomic(bad, "{\"run\": \"a\",\n \"points\": [1, 2,]\n}\n");
  expect_error<DataError>([&] { read_json(bad); }, bad.string());
  expect_error<DataError>([&] { read_json(bad); }, "not valid JSON");
  write_file_atomic(bad, "");
  expect_error<DataError>([&] { read_json(bad); }, bad.string());
  const auto missing = dir.path() / "missing.json";
  expect_error<IoError>([&] { read_json(missing); }, missing.string());
}

// A number beyond double's range: nlohmann throws out_of_range (406), not a
// parse_error, which escaped read_json (tests/fuzz/index_fuzz.cpp found it with
// '555555E55555555'; tests/fuzz/corpus/index/ keeps the input).
TEST(Json, NumberOverflowIsADataErrorNamingTheFile) {
  test::TempDir dir;
  const auto bad = dir.path() / "index.json";
  write_file_atomic(bad, "{\"probe_size\": 555555E55555555}\n");
  expect_error<DataError>([&] { read_json(bad); }, bad.string() + ": not valid JSON");
  expect_error<DataError>([&] { read_json(bad); }, "number overflow");
}

TEST(Json, AtNamesTheMissingKeyAndWhere) {
  const Json j = {{"run", "r1"}, {"points", Json::array()}};
  EXPECT_EQ(json_at(j, "run", "index.json").get<std::string>(), "r1");
  EXPECT_TRUE(json_at(j, "points", "index.json").is_array());
  expect_error<DataError>([&] { json_at(j, "layers", "runs/a/index.json"); }, "runs/a/index.json: 'layers' is missing");
  expect_error<DataError>([&] { json_at(Json::array({1}), "run", "list.json"); }, "'run'");
  expect_error<DataError>([&] { json_at(Json("text"), "run", "scalar.json"); }, "scalar.json");
}

}  // namespace
}  // namespace lrid

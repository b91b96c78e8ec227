// Reading users' arrays and `lrid stats` on bad input: one line, exit 3.
#include "observables/array_io.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/errors.h"
#include "core/files.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

fs::path tmp(const std::string& name) {
  return fs::temp_directory_path() / fmt::format("lrid_array_io_{}_{}", static_cast<long>(getpid()), name);
}

using Result = test::CliResult;
Result run(const std::string& args) { return test::run_lrid(args); }

// A raw .npy with any descr/order, for the error cases.
void write_raw_npy(const fs::path& p, const std::string& descr, bool fortran, const std::string& shape,
                   const std::string& payload) {
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': {}, 'shape': {}, }}", descr,
                                   fortran ? "True" : "False", shape);
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  write_file_atomic(p, out + header + payload);
}

TEST(ArrayIo, NpyRoundTripFloat32AndFloat64) {
  for (auto dtype : {torch::kFloat32, torch::kFloat64}) {
    torch::Tensor a = torch::randn({3, 4, 5}, dtype);
    write_npy(tmp("rt.npy").string(), a);
    torch::Tensor b = read_npy(tmp("rt.npy").string());
    EXPECT_EQ(b.sizes(), a.sizes());
    EXPECT_TRUE(torch::equal(b, a.to(torch::kFloat64)));
  }
  fs::remove(tmp("rt.npy"));
}

TEST(ArrayIo, CsvWithAndWithoutHeader) {
  write_file_atomic(tmp("m.csv"), "u1,u2,u3\n1,2,3\n4, 5 ,6\n");
  torch::Tensor m = read_csv_matrix(tmp("m.csv").string());
  EXPECT_EQ(m.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_DOUBLE_EQ(m[1][1].item<double>(), 5.0);
  write_file_atomic(tmp("r.csv"), "1,2\n3\n");
  EXPECT_THROW(read_csv_matrix(tmp("r.csv").string()), DataError);
  write_file_atomic(tmp("x.csv"), "1,2\n3,abc\n");
  EXPECT_THROW(read_csv_matrix(tmp("x.csv").string()), DataError);
  for (const char* f : {"m.csv", "r.csv", "x.csv"}) fs::remove(tmp(f));
}

// Headers that crashed read_npy or broke its arithmetic (tests/fuzz/npy_fuzz.cpp
// found them; tests/fuzz/corpus/npy/ keeps the inputs): each is one DataError naming the file.
TEST(ArrayIo, MalformedNpyHeadersAreDataErrors) {
  const auto frame = [](const std::string& header, const std::string& payload) {
    std::string out = std::string("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    return out + header + payload;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {frame("{'descr':", ""), "no value for 'descr'"},                             // read past the end
      {frame("{'descr': '<f4', 'fortran_order': False, 'shape':", ""), "no value"},
      {frame("{'descr': '<f4', 'fortran_order': False, 'shape': (2, }", ""), "unclosed"},
      {frame("{'descr': '<f4', 'fortran_order': False, 'shape': , }", ""), "bad shape"},  // was std::out_of_range
      {frame("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", ""), "bad shape"},
      {frame("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 2), }", ""),
       "implausibly large"},  // was a signed overflow
  };
  for (const auto& [bytes, what] : cases) {
    write_file_atomic(tmp("bad.npy"), bytes);
    try {
      read_npy(tmp("bad.npy").string());
      ADD_FAILURE() << "no error for " << bytes;
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find(tmp("bad.npy").string() + ": "), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  }
  fs::remove(tmp("bad.npy"));
}

TEST(StatsCli, PrintsEveryObservableOfTheMeasure) {
  write_npy(tmp("act.npy").string(), torch::randn({20, 30}));
  Result r = run("stats --input " + tmp("act.npy").string() + " --measure act");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 22) << r.out;  // header + 21
  EXPECT_NE(r.out.find("actraw_median,"), std::string::npos);
  r = run("stats --input " + tmp("act.npy").string() + " --measure weight --format json --subsample 0.5 --noise 1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\"weightsq_var\": "), std::string::npos) << r.out;
  fs::remove(tmp("act.npy"));
}

TEST(StatsCli, BadInputIsOneLineAndNonZeroExit) {
  write_raw_npy(tmp("int.npy"), "<i8", false, "(2,)", std::string(16, '\0'));
  write_raw_npy(tmp("fortran.npy"), "<f4", true, "(2, 2)", std::string(16, '\0'));
  write_raw_npy(tmp("short.npy"), "<f8", false, "(4,)", std::string(16, '\0'));
  write_raw_npy(tmp("empty.npy"), "<f4", false, "(0, 3)", "");
  torch::Tensor nan = torch::ones({2, 2});
  nan[1][0] = std::nan("");
  write_npy(tmp("nan.npy").string(), nan);
  write_file_atomic(tmp("empty.csv"), "");
  write_npy(tmp("ok.npy").string(), torch::ones({2, 2}));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--input " + tmp("int.npy").string(), "dtype '<i8'"},
      {"--input " + tmp("fortran.npy").string(), "Fortran"},
      {"--input " + tmp("short.npy").string(), "truncated"},
      {"--input " + tmp("empty.npy").string(), "empty"},
      {"--input " + tmp("nan.npy").string(), "non-finite"},
      {"--input " + tmp("empty.csv").string(), "empty"},
      {"--input /nonexistent/x.npy", "no such file"},
  };
  for (const auto& [args, what] : cases) {
    Result r = run("stats " + args + " --measure act");
    EXPECT_EQ(r.code, 3) << args << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    EXPECT_NE(r.out.find(what), std::string::npos) << r.out;
  }
  Result r = run("stats --input " + tmp("ok.npy").string() + " --measure gradavg --subsample 1.5");
  EXPECT_NE(r.code, 0);
  r = run("stats --input " + tmp("ok.npy").string() + " --measure spikes");
  EXPECT_NE(r.code, 0);
  for (const char* f : {"int.npy", "fortran.npy", "short.npy", "empty.npy", "nan.npy", "empty.csv", "ok.npy"})
    fs::remove(tmp(f));
}

}  // namespace
}  // namespace lrid

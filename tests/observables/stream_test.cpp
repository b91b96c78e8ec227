// Observable streams (observables/stream.h): the header, one committed rewrite
// per record, resume keeping the records with step <= k so that the bytes equal
// an uninterrupted stream, and read_stream's values and its DataErrors naming
// file:line for a wrong header, a malformed row or a bad value; a torn last
// record (cut short by a copy or a failing disk) is dropped with one warning.
#include "observables/stream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/files.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

// The rows of record `point` at `step` (two layers, two observables).
std::string record_rows(int point, int step) {
  std::string rows;
  for (const char* layer : {"conv1", "fc4"})
    for (const char* obs : {"weightraw_mean", "gradavgraw_id"})
      rows += fmt::format("run1,full,{},{},{},{},{},{},{}\n", point, step, step / 4.0, layer,
                          layer[0] == 'c' ? "early" : "deep", obs, point + 0.5 * step);
  return rows;
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

TEST(ObservableStream, EveryRecordIsCommittedWhole) {
  test::TempDir dir;
  const fs::path p = dir.path() / "full.csv";
  write_file_atomic(p, "left over from an earlier run\n");
  ObservableStream s(p, -1);  // a fresh start drops whatever was there
  const std::string header = "run,condition,point,step,epoch,layer,position,observable,value\n";
  EXPECT_EQ(std::string(ObservableStream::header()) + "\n", header);
  EXPECT_EQ(read_file(p), header);
  s.append(record_rows(0, 0));
  EXPECT_EQ(read_file(p), header + record_rows(0, 0));
  s.append(record_rows(1, 3));
  EXPECT_EQ(read_file(p), header + record_rows(0, 0) + record_rows(1, 3));
  EXPECT_EQ(files_in(dir.path()), std::vector<std::string>{"full.csv"});
  EXPECT_EQ(s.path(), p);
}

TEST(ObservableStream, ResumeKeepsRecordsThroughTheStepAndEqualsAnUninterruptedStream) {
  test::TempDir dir;
  const fs::path whole = dir.path() / "whole.csv", cut = dir.path() / "cut.csv";
  {
    ObservableStream s(whole, -1);
    for (int k = 0; k <= 4; ++k) s.append(record_rows(k, 3 * k));
  }
  {
    ObservableStream s(cut, -1);
    for (int k = 0; k <= 3; ++k) s.append(record_rows(k, 3 * k));  // killed after step 9 ...
  }
  {
    ObservableStream s(cut, 6);  // ... resumed from the checkpoint at step 7: points at steps 0, 3, 6 stay
    EXPECT_EQ(read_file(cut), std::string(ObservableStream::header()) + "\n" + record_rows(0, 0) + record_rows(1, 3) +
                                  record_rows(2, 6));
    s.append(record_rows(3, 9));
    s.append(record_rows(4, 12));
  }
  EXPECT_EQ(read_file(cut), read_file(whole));
  // Resuming at step 0 keeps the initialisation record; a missing file starts afresh.
  ObservableStream again(cut, 0);
  EXPECT_EQ(read_file(cut), std::string(ObservableStream::header()) + "\n" + record_rows(0, 0));
  ObservableStream fresh(dir.path() / "new.csv", 5);
  EXPECT_EQ(read_file(dir.path() / "new.csv"), std::string(ObservableStream::header()) + "\n");
}

TEST(ReadStream, ValuesByLayerObservableAndPoint) {
  test::TempDir dir;
  const fs::path p = dir.path() / "full.csv";
  write_file_atomic(p, std::string(ObservableStream::header()) + "\n" + record_rows(0, 0) + record_rows(2, 8) +
                           "run1,full,3,12,3,conv1,early,actraw_mean,nan\n"
                           "run1,full,3,12,3,conv1,early,actsq_mean,inf\n"
                           "run1,full,3,12,3,fc4,deep,actsq_mean,-inf\n");
  const StreamValues s = read_stream(p);
  EXPECT_EQ(s.value.size(), 2u);
  EXPECT_EQ(s.value.at("conv1").at("weightraw_mean").at(0), 0.0);
  EXPECT_EQ(s.value.at("fc4").at("gradavgraw_id").at(2), 2.0 + 0.5 * 8);
  EXPECT_EQ(s.value.at("fc4").at("gradavgraw_id").size(), 2u);
  EXPECT_TRUE(std::isnan(s.value.at("conv1").at("actraw_mean").at(3)));
  EXPECT_EQ(s.value.at("conv1").at("actsq_mean").at(3), INFINITY);
  EXPECT_EQ(s.value.at("fc4").at("actsq_mean").at(3), -INFINITY);
}

// The DataError message of reading a stream whose text is `text`.
std::string read_stream_error(const fs::path& p, const std::string& text) {
  write_file_atomic(p, text);
  return test::error_message<DataError>([&] { read_stream(p); });
}

TEST(ReadStream, BadStreamsNameFileAndLine) {
  test::TempDir dir;
  const fs::path p = dir.path() / "noise1.csv";
  const std::string header = std::string(ObservableStream::header()) + "\n";
  EXPECT_EQ(read_stream_error(p, "run,point,value\n"),
            p.string() + ": not an observable stream (header 'run,point,value')");
  EXPECT_NE(read_stream_error(p, "").find(p.string() + ": not an observable stream"), std::string::npos);
  EXPECT_EQ(read_stream_error(p, header + record_rows(0, 0) + "run1,full,1,3\n"), p.string() + ":6: malformed row");
  EXPECT_EQ(read_stream_error(p, header + "run1,full,0,0,0,conv1,early,actraw_mean,abc\n"),
            p.string() + ":2: bad point '0' or value 'abc'");
  EXPECT_EQ(read_stream_error(p, header + record_rows(0, 0) + "run1,full,x,0,0,conv1,early,actraw_mean,1\n"),
            p.string() + ":6: bad point 'x' or value '1'");
  EXPECT_EQ(read_stream_error(p, header + "run1,full,0,0,0,conv1,early,actraw_mean,\n"),
            p.string() + ":2: bad point '0' or value ''");
  // Trailing text after a number, or a tenth field, is not a value.
  EXPECT_EQ(read_stream_error(p, header + "run1,full,0,0,0,conv1,early,actraw_mean,0.5x\n"),
            p.string() + ":2: bad point '0' or value '0.5x'");
  EXPECT_EQ(read_stream_error(p, header + "run1,full,0,0,0,conv1,early,actraw_mean,0.5,7\n"),
            p.string() + ":2: bad point '0' or value '0.5,7'");
  test::expect_error<IoError>([&] { read_stream(dir.path() / "missing.csv"); }, "missing.csv");
}

// read_stream of `text`, and what it printed on stderr.
std::pair<StreamValues, std::string> read_stream_and_warnings(const fs::path& p, const std::string& text) {
  write_file_atomic(p, text);
  ::testing::internal::CaptureStderr();
  StreamValues s = read_stream(p);
  return {s, ::testing::internal::GetCapturedStderr()};
}

TEST(ReadStream, TornLastRecordIsDroppedWithOneWarningNamingFileAndOffset) {
  test::TempDir dir;
  const fs::path p = dir.path() / "full.csv";
  const std::string whole = std::string(ObservableStream::header()) + "\n" + record_rows(0, 0) + record_rows(1, 3);
  const std::string last = record_rows(2, 6);
  const auto warning = [&](const std::string& rest) {
    return "lrid: warning: " + p.string() + ": dropped a torn last record" + rest + " (an interrupted write or copy)\n";
  };
  // Cut inside the third row of record 2: its two whole rows go too.
  auto [s, err] = read_stream_and_warnings(p, whole + last.substr(0, last.find('\n', last.find('\n') + 1) + 20));
  EXPECT_EQ(err, warning(fmt::format(" (point 2) from byte {} on", whole.size())));
  EXPECT_EQ(s.value.at("conv1").at("weightraw_mean").size(), 2u);
  EXPECT_EQ(s.value.at("fc4").at("gradavgraw_id").count(2), 0u);
  // Cut inside the first row of a record: the records before it are whole.
  std::tie(s, err) = read_stream_and_warnings(p, whole + last.substr(0, 15));
  EXPECT_EQ(err, warning(fmt::format(" (point 2) from byte {} on", whole.size())));
  EXPECT_EQ(s.value.at("fc4").at("gradavgraw_id").size(), 2u);
  // Cut before the row names its point: the last whole row's record goes with it.
  std::tie(s, err) = read_stream_and_warnings(p, whole + "run1,fu");
  const std::size_t record1 = whole.size() - record_rows(1, 3).size();
  EXPECT_EQ(err, warning(fmt::format(" (point 1) from byte {} on", record1)));
  EXPECT_EQ(s.value.at("fc4").at("gradavgraw_id").size(), 1u);
  // A whole stream reads without a word.
  std::tie(s, err) = read_stream_and_warnings(p, whole + last);
  EXPECT_EQ(err, "");
  EXPECT_EQ(s.value.at("fc4").at("gradavgraw_id").size(), 3u);
}

TEST(ObservableStream, ResumeDropsATornLastRecord) {
  test::TempDir dir;
  const fs::path p = dir.path() / "full.csv";
  const std::string two = std::string(ObservableStream::header()) + "\n" + record_rows(0, 0) + record_rows(1, 3);
  write_file_atomic(p, two + record_rows(2, 6).substr(0, 30));
  ::testing::internal::CaptureStderr();
  ObservableStream s(p, 6);  // the checkpoint is past the torn record: it must still go
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find(p.string() + ": dropped a torn last record (point 2) from byte " + std::to_string(two.size())),
            std::string::npos) << err;
  EXPECT_EQ(read_file(p), two);
  s.append(record_rows(2, 6));
  EXPECT_EQ(read_stream(p).value.at("conv1").at("weightraw_mean").size(), 3u);
}

}  // namespace
}  // namespace lrid

// The observable stream of one measurement condition: a tidy long CSV,
//   run,condition,point,step,epoch,layer,position,observable,value
// one row per (record point, layer, observable), that pandas reads directly
// (non-finite values are written nan/inf/-inf, which pandas parses).
//
// Crash safety: each record (every layer and observable of one point) is
// committed by rewriting the stream to a temporary file and renaming it over
// the old one, so after a kill -9 the file is the previous or the new version,
// never a torn one. A stream holds at most a few MB (ResNet-34: 38 layers × 45
// observables × 21 points), so the rewrite costs milliseconds per record.
// On resume, records after the checkpoint's step are dropped, so a resumed run
// writes the same stream as an uninterrupted one.
// A stream cut short all the same (an interrupted copy, a failing disk) ends in
// a torn row: readers and a resuming recorder drop that last record with one
// warning naming the file and the byte offset; a bad row elsewhere is an error.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace lrid {

class ObservableStream {
 public:
  static const char* header();
  // Opens `path`, keeping the records with step <= keep_through_step (none when < 0).
  ObservableStream(std::filesystem::path path, int64_t keep_through_step);
  // Appends the rows of one record (each line ending in '\n') and commits them.
  void append(const std::string& rows);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::string content_;
};

// A stream read back: value[layer][observable][point] (non-finite values as written).
struct StreamValues {
  std::map<std::string, std::map<std::string, std::map<int64_t, double>>> value;
};
// Reads a stream; DataError naming the file (and line) for a wrong header or a malformed row.
StreamValues read_stream(const std::filesystem::path& path);

}  // namespace lrid

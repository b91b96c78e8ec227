// Save/load round trips for the classifier tests: an archive's bytes read back,
// and a model saved and loaded into another through them (in memory, no file).
#pragma once
#include <torch/serialize.h>

#include <sstream>

namespace lrid::test {

// The archive written to bytes and opened again for reading.
inline torch::serialize::InputArchive reopened_archive(torch::serialize::OutputArchive& out) {
  std::stringstream bytes;
  out.save_to(bytes);
  torch::serialize::InputArchive in;
  in.load_from(bytes);
  return in;
}

// saved.save(archive), then loaded.load(the archive read back); for any model with those two methods.
template <class Model>
void save_and_load(const Model& saved, Model& loaded) {
  torch::serialize::OutputArchive out;
  saved.save(out);
  torch::serialize::InputArchive in = reopened_archive(out);
  loaded.load(in);
}

}  // namespace lrid::test

// Fuzz target: audio files through libsndfile (audio/audio_file.h read_audio):
// WAV, FLAC and every other format libsndfile recognises from the bytes.
#include "audio/audio_file.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lrid::fuzz;
  const fs::path path = scratch() / "audio.wav";
  write_file(path, std::string_view(reinterpret_cast<const char*>(data), size));
  return guarded([&] { lrid::read_audio(path.string()); });
}

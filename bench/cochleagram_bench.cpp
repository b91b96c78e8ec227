// Times lrid's cochleagram alone, for bench/cochleagram_speed.py, and writes its
// output for tests/audio/cochleagram_reference.py --check (ctest
// audio_cochleagram_python). Reads B waveforms of N samples as raw little-endian
// float32 ([B, N], C order), computes their cochleagram `--repeat` times on
// `--threads` threads and prints one JSON line: the best time and the audio
// seconds per second. --output writes the cochleagram as .npy (float32 [B, n, M]).
#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "audio/cochleagram.h"
#include "core/errors.h"
#include "core/json.h"
#include "observables/array_io.h"

namespace {

torch::Tensor read_raw_waveforms(const std::string& path, int64_t batch, int64_t samples) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw lrid::DataError(fmt::format("{}: cannot open", path));
  const auto bytes = static_cast<int64_t>(in.tellg());
  if (bytes != batch * samples * 4) {
    throw lrid::DataError(fmt::format("{}: {} bytes, expected {} x {} float32 = {}", path, bytes, batch, samples,
                                      batch * samples * 4));
  }
  torch::Tensor x = torch::empty({batch, samples}, torch::kFloat32);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(x.data_ptr<float>()), bytes);
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lrid cochleagram benchmark"};
  std::string input, output, device = "cpu";
  int64_t batch = 0, samples = 0, threads = 2;
  int repeat = 1;
  lrid::CochleagramOptions o;
  app.add_option("--input", input, "raw little-endian float32 waveforms [batch, samples]")->required();
  app.add_option("--batch", batch, "waveforms in the file")->required();
  app.add_option("--samples", samples, "samples per waveform")->required();
  app.add_option("--output", output, "write the cochleagram here (.npy, float32)");
  app.add_option("--repeat", repeat, "timed runs; the best is printed");
  app.add_option("--threads", threads, "LibTorch intra-op threads");
  app.add_option("--device", device, "cpu or cuda");
  app.add_option("--sample-rate", o.sample_rate);
  app.add_option("--num-filters", o.num_filters);
  app.add_option("--low-hz", o.low_hz);
  app.add_option("--high-hz", o.high_hz);
  app.add_option("--envelope-rate", o.envelope_rate);
  app.add_option("--power", o.power);
  app.add_option("--floor", o.floor);
  CLI11_PARSE(app, argc, argv);
  try {
    torch::set_num_threads(static_cast<int>(threads));
    const torch::Device dev(device);
    const torch::Tensor x = read_raw_waveforms(input, batch, samples).to(dev);
    // The first call builds and caches the filterbank (and warms up the FFT plans); it is not timed.
    torch::Tensor c = lrid::cochleagram(x, o);
    double best = 1e300;
    for (int r = 0; r < repeat; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      c = lrid::cochleagram(x, o);
      if (dev.is_cuda()) torch::cuda::synchronize();
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    if (!output.empty()) lrid::write_npy(output, c.cpu());
    const double audio_s = static_cast<double>(batch * samples) / static_cast<double>(o.sample_rate);
    const lrid::Json line = {{"seconds", best},
                             {"audio_seconds", audio_s},
                             {"audio_seconds_per_second", audio_s / best},
                             {"batch", batch},
                             {"samples", samples},
                             {"threads", threads},
                             {"device", device},
                             {"shape", c.sizes().vec()}};
    std::printf("%s\n", line.dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lrid_cochleagram_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}

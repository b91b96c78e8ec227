// Writes the binary seeds of the fuzz corpora (tests/fuzz/corpus/<target>/), with
// lrid's own writers where it has one (checkpoint, saved classifier, HDF5
// dataset, .npy, stream, index.json) and small hand-made files otherwise.
// `scripts/fuzz.sh seeds` runs it once; the seeds are checked in.
#include <fmt/format.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <vector>

#include <jpeglib.h>  // after <cstdio>: it needs size_t and FILE
#include <sndfile.h>

#include "audio/audio_file.h"
#include "classifiers/classifier_test_data.h"
#include "classifiers/protocol.h"
#include "classifiers/saved_classifier.h"
#include "core/files.h"
#include "fuzz_model.h"
#include "fuzz_util.h"
#include "observables/array_io.h"
#include "observables/record_index.h"
#include "observables/stream.h"
#include "training/checkpoint.h"

namespace lrid::fuzz {
namespace {

fs::path g_out;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
  write_file(g_out / target / name, bytes);
}

std::string big_endian(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string idx(uint32_t magic, const std::vector<uint32_t>& dims, uint8_t fill) {
  std::string s = big_endian(magic);
  size_t n = 1;
  for (uint32_t d : dims) s += big_endian(d), n *= d;
  for (size_t i = 0; i < n; ++i) s += static_cast<char>((fill + i) % 10);
  return s;
}

std::string gzip(const std::string& raw) {
  const fs::path tmp = scratch() / "x.gz";
  gzFile f = gzopen(tmp.c_str(), "wb");
  gzwrite(f, raw.data(), static_cast<unsigned>(raw.size()));
  gzclose(f);
  return read_file(tmp);
}

std::string join(const std::vector<std::string>& files) {
  std::string s;
  for (size_t i = 0; i < files.size(); ++i) s += (i ? std::string(kSeparator) : "") + files[i];
  return s;
}

std::string jpeg(int width, int height, int components, J_COLOR_SPACE space) {
  unsigned char* buf = nullptr;
  unsigned long len = 0;
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &buf, &len);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = components;
  cinfo.in_color_space = space;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 50, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<uint8_t> row(static_cast<size_t>(width * components));
  for (int y = 0; y < height; ++y) {
    for (size_t x = 0; x < row.size(); ++x) row[x] = static_cast<uint8_t>(x * 7 + static_cast<size_t>(y) * 13);
    JSAMPROW p = row.data();
    jpeg_write_scanlines(&cinfo, &p, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::string s(reinterpret_cast<char*>(buf), len);
  std::free(buf);
  return s;
}

void images() {
  // Fashion-MNIST: 2 train and 1 test images of 3x2 pixels; one set gzipped.
  const std::string ti = idx(2051, {2, 3, 2}, 0), tl = idx(2049, {2}, 3);
  const std::string vi = idx(2051, {1, 3, 2}, 5), vl = idx(2049, {1}, 9);
  put("idx", "plain", join({ti, tl, vi, vl}));
  put("idx", "gzipped", join({gzip(ti), gzip(tl), vi, gzip(vl)}));
  // CIFAR-10: one record per batch file, labels 0-5, plus the class names.
  std::vector<std::string> files;
  for (int b = 0; b < 6; ++b) {
    std::string r(1, static_cast<char>(b));
    for (int i = 0; i < 3072; ++i) r += static_cast<char>((i * (b + 1)) & 0xff);
    files.push_back(r);
  }
  put("cifar10", "no_meta", join(files));
  files.push_back("airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n");
  put("cifar10", "meta", join(files));
  // JPEG: the first byte is the decode size - 1.
  put("jpeg", "rgb", "\x07" + jpeg(12, 9, 3, JCS_RGB));
  put("jpeg", "grey", "\x03" + jpeg(8, 16, 1, JCS_GRAYSCALE));
  put("jpeg", "cmyk", "\x0f" + jpeg(9, 9, 4, JCS_CMYK));
}

// Audio files of 16..64 frames (under 1 KB each): a 16-bit mono WAV by
// write_wav, and by libsndfile a float stereo WAV and a 24-bit FLAC.
void audio_seeds() {
  const fs::path dir = scratch();
  std::vector<float> ramp(64);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<float>(i) / 32.0f - 1.0f;
  write_wav((dir / "a.wav").string(), ramp, 16000);
  put("wav", "pcm16_mono", read_file(dir / "a.wav"));
  auto write_sndfile = [&](const fs::path& path, int format, int channels, sf_count_t frames) {
    SF_INFO info{};
    info.samplerate = 22050;
    info.channels = channels;
    info.format = format;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!f) throw std::runtime_error(sf_strerror(nullptr));
    sf_writef_float(f, ramp.data(), frames);
    sf_close(f);
    return read_file(path);
  };
  put("wav", "float_stereo", write_sndfile(dir / "b.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, 32));
  put("wav", "pcm24_flac", write_sndfile(dir / "c.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 1, 16));
}

void arrays() {
  const fs::path dir = scratch();
  write_npy((dir / "a.npy").string(), torch::arange(12, torch::kFloat64).reshape({4, 3}));
  put("npy", "f8_4x3", read_file(dir / "a.npy"));
  write_npy((dir / "b.npy").string(), torch::linspace(-1, 1, 5, torch::kFloat32));
  put("npy", "f4_5", read_file(dir / "b.npy"));
}

void trajectories() {
  TrajectoryDataset d = testing::synthetic_trajectories(1, {"adam", "sgdm"}, {"actraw_mean"}, 3.0, 1, 3);
  // Keep K small: 4 observables.
  d.x = d.x.slice(2, 0, 4).contiguous();
  d.obs_keys.resize(4);
  d.time_epochs = torch::tensor({0.0, 0.5, 1.0}, torch::kFloat64);
  d.attributes["lrid_version"] = "fuzz";
  const fs::path dir = scratch();
  write_dataset((dir / "d.h5").string(), d);
  put("hdf5", "dataset", read_file(dir / "d.h5"));

  // A saved SVM on the same kind of data (2 observables x 2 time points).
  TrajectoryDataset t = testing::synthetic_trajectories(6, {"adam", "sgdm"}, {"actraw_mean"}, 3.0, 2, 3);
  ProtocolOptions o;
  o.classifier = "svm";
  o.time_points = {0, 2};
  const SavedClassifier c =
      fit_classifier(t, o, class_names_of(t.y), {"actraw_mean", "weightraw_mean"}, {{"pca", "none"}, {"C", "1"}});
  save_classifier((dir / "c.pt").string(), c);
  put("saved_classifier", "svm", read_file(dir / "c.pt"));
}

void checkpoint() {
  FuzzNet net;
  torch::optim::SGD sgd = make_optimizer(net);
  // One step, so that the optimizer has momentum buffers to save.
  net.train();
  net.forward(torch::ones({2, 4})).sum().backward();
  sgd.step();
  TrainState state;
  state.step = 1;
  const fs::path dir = scratch();
  save_checkpoint((dir / "step_1.pt").string(), net, {{"optimizer", &sgd}}, state);
  put("checkpoint", "step_1", read_file(dir / "step_1.pt"));
}

void observables() {
  const fs::path dir = scratch();
  {
    ObservableStream s(dir / "full.csv", -1);
    s.append("r,full,0,0,0,fc1,early,actraw_mean,0.5\nr,full,0,0,0,fc1,early,weightraw_mean,nan\n");
    s.append("r,full,1,10,0.5,fc1,early,actraw_mean,-inf\nr,full,1,10,0.5,fc2,deep,actraw_mean,1e-3\n");
  }
  // The first byte: the step kept on resume (5: the first record only).
  put("stream", "two_records", "\x05" + read_file(dir / "full.csv"));
  RecordIndex index;
  index.run = "r";
  index.conditions = {{"full", "full.csv", std::nullopt, std::nullopt, 0}, {"frac0.5", "frac0.5.csv", 0.5, 0.1, 3}};
  index.points = {{0, 0, 0.0}, {1, 10, 0.5}};
  index.layers = {{"fc1", "early", "dense", 0, 12}, {"fc2", "deep", "dense", 1, -1}};
  index.observables = {"actraw_mean", "weightraw_mean"};
  index.probe_size = 16;
  index.sample_reduction = "mean";
  index.gradavg_path = "backprop";
  index.weight_norm_mode = "fro";
  put("index", "two_conditions", json_text(index.to_json()));
}

}  // namespace
}  // namespace lrid::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: lrid_fuzz_seeds CORPUS_DIR\n";
    return 2;
  }
  lrid::fuzz::g_out = argv[1];
  lrid::fuzz::images();
  lrid::fuzz::arrays();
  lrid::fuzz::audio_seeds();
  lrid::fuzz::trajectories();
  lrid::fuzz::checkpoint();
  lrid::fuzz::observables();
  return 0;
}

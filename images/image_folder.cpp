// An ImageNet-style folder of JPEG files: root/train/<class>/*.jpg and
// root/val/<class>/*.jpg, classes being the sorted sub-folder names of train/.
// Images are decoded lazily (only the requested ones, in parallel) with libjpeg:
// RGB output (greyscale replicated, CMYK converted here), shorter side resized
// to decode_size, then centre-cropped to decode_size x decode_size.
#include <ATen/Parallel.h>
#include <jpeglib.h>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "images/datasets.h"
#include "core/errors.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;
namespace F = torch::nn::functional;

// libjpeg reports fatal errors through error_exit, which must not return:
// we jump back to decode_pixels' setjmp with the formatted message.
struct JpegErrorManager {
  jpeg_error_mgr pub;  // first member: libjpeg sees a plain jpeg_error_mgr*
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings (e.g. extraneous bytes before a marker, common in ImageNet) are
// recoverable: libjpeg still produces an image, so they are not reported.
void jpeg_ignore_message(j_common_ptr) {}

// Decoded pixels, interleaved [height, width, components] (3: RGB, 4: CMYK).
struct RawImage {
  std::vector<uint8_t> pixels;
  int height = 0, width = 0, components = 0;
  bool adobe = false;  // Adobe CMYK JPEGs store inverted values
};

// Decodes `data` with DCT scaling chosen so the shorter side stays >= min_side.
// Returns false and fills `message` on a libjpeg error. Because of setjmp this
// function owns no object with a destructor (`out` lives in the caller).
bool decode_pixels(const uint8_t* data, size_t size, unsigned min_side, RawImage* out,
                   char* message) {
  jpeg_decompress_struct cinfo{};
  JpegErrorManager err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = jpeg_error_exit;
  err.pub.output_message = jpeg_ignore_message;
  if (setjmp(err.jump)) {
    std::memcpy(message, err.message, JMSG_LENGTH_MAX);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, const_cast<unsigned char*>(data), static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  // libjpeg-turbo converts greyscale and YCbCr to RGB but not CMYK/YCCK to RGB.
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  // Scaled IDCT (M/8) is much cheaper than decoding full size and downsampling.
  cinfo.scale_denom = 8;
  for (unsigned num = 1; num <= 8; ++num) {
    cinfo.scale_num = num;
    jpeg_calc_output_dimensions(&cinfo);
    if (std::min(cinfo.output_width, cinfo.output_height) >= min_side) break;
  }
  jpeg_start_decompress(&cinfo);
  out->height = static_cast<int>(cinfo.output_height);
  out->width = static_cast<int>(cinfo.output_width);
  out->components = cinfo.output_components;
  out->adobe = cinfo.saw_Adobe_marker;
  const size_t stride = static_cast<size_t>(out->width) * static_cast<size_t>(out->components);
  out->pixels.resize(stride * static_cast<size_t>(out->height));
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out->pixels.data() + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

std::vector<uint8_t> read_jpeg_file(const std::string& path) {
  std::vector<uint8_t> bytes = read_bytes(path, "JPEG file");
  if (bytes.empty()) throw DataError(fmt::format("{}: empty JPEG file", path));
  return bytes;
}

// RGB uint8 [3, h, w] of a decoded image (CMYK converted without a colour profile).
torch::Tensor to_rgb_chw(const RawImage& raw) {
  torch::Tensor hwc = torch::from_blob(const_cast<uint8_t*>(raw.pixels.data()),
                                       {raw.height, raw.width, raw.components}, torch::kUInt8);
  // An explicit contiguous copy: `raw` (the blob's owner) dies after this returns.
  if (raw.components == 3) return hwc.permute({2, 0, 1}).clone(at::MemoryFormat::Contiguous);
  torch::Tensor c = hwc.permute({2, 0, 1}).to(torch::kInt32);  // [4, h, w]
  if (!raw.adobe) c = 255 - c;  // plain CMYK: ink amounts; Adobe: already 255 - ink
  torch::Tensor k = c[3];
  return (c.slice(0, 0, 3) * k.unsqueeze(0) / 255).to(torch::kUInt8);
}

// Decodes `path`, resizes its shorter side to `size` and centre-crops: uint8 [3, size, size].
torch::Tensor decode_file(const std::string& path, int64_t size) {
  std::vector<uint8_t> bytes = read_jpeg_file(path);
  RawImage raw;
  char message[JMSG_LENGTH_MAX] = {0};
  if (!decode_pixels(bytes.data(), bytes.size(), static_cast<unsigned>(size), &raw, message)) {
    throw DataError(fmt::format("{}: cannot decode JPEG ({})", path, message));
  }
  if (raw.components != 3 && raw.components != 4) {
    throw DataError(fmt::format("{}: unsupported JPEG with {} output components", path,
                                raw.components));
  }
  torch::Tensor chw = to_rgb_chw(raw);
  const int64_t h = raw.height, w = raw.width;
  // Shorter side -> size, aspect ratio kept (the longer side rounded, never below size).
  int64_t nh = size, nw = size;
  if (h <= w) {
    nw = std::max<int64_t>(size, std::llround(static_cast<double>(w) * size / h));
  } else {
    nh = std::max<int64_t>(size, std::llround(static_cast<double>(h) * size / w));
  }
  if (nh != h || nw != w) {
    torch::Tensor x = chw.unsqueeze(0).to(torch::kFloat32);  // [1, 3, h, w]
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .size(std::vector<int64_t>{nh, nw})
                              .mode(torch::kBilinear)
                              .align_corners(false)
                              .antialias(true));
    chw = x.squeeze(0).round().clamp(0, 255).to(torch::kUInt8);
  }
  const int64_t top = (nh - size) / 2, left = (nw - size) / 2;
  return chw.slice(1, top, top + size).slice(2, left, left + size);
}

bool is_jpeg(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg";
}

// Sorted names of the visible sub-folders of `dir`.
std::vector<std::string> list_subdirs(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (it->is_directory(ec) && !name.empty() && name[0] != '.') names.push_back(name);
  }
  if (ec) throw DataError(fmt::format("{}: cannot list directory ({})", dir.string(), ec.message()));
  std::sort(names.begin(), names.end());
  return names;
}

// Sorted paths of the JPEG files in `dir` (other files are ignored).
std::vector<std::string> list_jpegs(const fs::path& dir) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && is_jpeg(it->path())) paths.push_back(it->path().string());
  }
  if (ec) throw DataError(fmt::format("{}: cannot list directory ({})", dir.string(), ec.message()));
  if (paths.empty()) {
    throw DataError(fmt::format("{}: empty class folder (no .jpg/.jpeg files)", dir.string()));
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// A split whose images stay on disk; only file paths and labels are held.
class FolderSplit : public DataSplit {
 public:
  FolderSplit(std::vector<std::string> paths, torch::Tensor labels, int64_t size)
      : paths_(std::move(paths)), labels_(std::move(labels)), size_(size) {}
  int64_t size() const override { return static_cast<int64_t>(paths_.size()); }
  int64_t channels() const override { return 3; }
  int64_t height() const override { return size_; }
  int64_t width() const override { return size_; }
  const torch::Tensor& labels() const override { return labels_; }

  torch::Tensor images(const std::vector<int64_t>& indices) const override {
    const auto n = static_cast<int64_t>(indices.size());
    for (int64_t i : indices) {
      if (i < 0 || i >= size()) {
        throw std::out_of_range(
            fmt::format("dataset index {} is outside the split's range [0, {})", i, size()));
      }
    }
    torch::Tensor out = torch::empty({n, 3, size_, size_}, torch::kUInt8);
    // Errors are collected per image and the first (in batch order) rethrown,
    // so the message does not depend on thread scheduling.
    std::vector<std::string> errors(static_cast<size_t>(n));
    at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        try {
          out[b].copy_(decode_file(paths_[static_cast<size_t>(indices[b])], size_));
        } catch (const std::exception& e) {
          errors[static_cast<size_t>(b)] = e.what();
        }
      }
    });
    for (const std::string& e : errors) {
      if (!e.empty()) throw DataError(e);
    }
    return out;
  }

 private:
  std::vector<std::string> paths_;
  torch::Tensor labels_;  // int64 [N]
  int64_t size_;          // decode_size
};

// Lists root/<split>/<class>/*.jpg; every class folder must be one of `classes`.
std::shared_ptr<DataSplit> scan_split(const fs::path& dir, const std::vector<std::string>& classes,
                                      int64_t decode_size) {
  if (!fs::is_directory(dir)) {
    throw DataError(fmt::format("{}: image folder split directory does not exist", dir.string()));
  }
  std::vector<std::string> folders = list_subdirs(dir);
  if (folders.empty()) throw DataError(fmt::format("{}: no class folders", dir.string()));
  std::map<std::string, int64_t> class_index;
  for (size_t c = 0; c < classes.size(); ++c) class_index[classes[c]] = static_cast<int64_t>(c);
  std::vector<std::string> paths;
  std::vector<int64_t> labels;
  for (const std::string& folder : folders) {
    auto found = class_index.find(folder);
    if (found == class_index.end()) {
      throw DataError(fmt::format("{}: class folder '{}' does not exist in train/",
                                  (dir / folder).string(), folder));
    }
    for (std::string& p : list_jpegs(dir / folder)) {
      paths.push_back(std::move(p));
      labels.push_back(found->second);
    }
  }
  torch::Tensor y = torch::tensor(labels, torch::kInt64);
  return std::make_shared<FolderSplit>(std::move(paths), y, decode_size);
}

}  // namespace

ImageData load_image_folder(const std::string& root, int64_t decode_size) {
  if (decode_size < 1) {
    throw ConfigError(fmt::format("load_image_folder: decode_size must be >= 1, got {}",
                                  decode_size));
  }
  if (!fs::is_directory(root)) {
    throw DataError(fmt::format("{}: image folder root does not exist", root));
  }
  const fs::path train_dir = fs::path(root) / "train";
  if (!fs::is_directory(train_dir)) {
    throw DataError(fmt::format("{}: image folder split directory does not exist",
                                train_dir.string()));
  }
  ImageData data;
  data.name = "image_folder";
  data.class_names = list_subdirs(train_dir);
  data.num_classes = static_cast<int64_t>(data.class_names.size());
  data.train = scan_split(train_dir, data.class_names, decode_size);
  data.test = scan_split(fs::path(root) / "val", data.class_names, decode_size);
  return data;
}

}  // namespace lrid

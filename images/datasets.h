// Image datasets: raw uint8 images and int64 labels per split, in the real
// on-disk formats (Fashion-MNIST IDX, CIFAR-10 binary, an ImageNet-style
// folder of JPEG files), plus a seeded synthetic generator for tests.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lrid {

// One split of a dataset. Images come back as uint8 [B, C, H, W] at the split's
// stored size (height() x width()); all images of a split have that size.
class DataSplit {
 public:
  virtual ~DataSplit() = default;
  virtual int64_t size() const = 0;
  virtual int64_t channels() const = 0;
  virtual int64_t height() const = 0;
  virtual int64_t width() const = 0;
  // Labels of every example, int64 [size()].
  virtual const torch::Tensor& labels() const = 0;
  // Images of the given examples, uint8 [indices.size(), C, H, W].
  virtual torch::Tensor images(const std::vector<int64_t>& indices) const = 0;
};

struct ImageData {
  std::string name;                      // "fashion_mnist", "cifar10", ...
  std::shared_ptr<DataSplit> train, test;
  int64_t num_classes = 0;
  std::vector<std::string> class_names;
};

// /usr/share/datasets/fashion-mnist: {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz].
ImageData load_fashion_mnist(const std::string& root);
// A CIFAR-10 binary folder: data_batch_1..5.bin and test_batch.bin (+ batches.meta.txt).
ImageData load_cifar10(const std::string& root);
// root/train/<class>/*.jpg and root/val/<class>/*.jpg; classes sorted by name.
// Each JPEG is decoded, its shorter side resized to `decode_size` and centre-cropped
// to decode_size x decode_size (3 channels; greyscale JPEGs are replicated).
ImageData load_image_folder(const std::string& root, int64_t decode_size);
// Seeded smooth class prototypes in [0,1] plus Gaussian pixel noise (stddev `noise`),
// quantised to uint8; train and test share the prototypes.
ImageData make_synthetic(int64_t num_classes, int64_t channels, int64_t size,
                         int64_t train_size, int64_t test_size, double noise, uint64_t seed);

// An in-memory split over uint8 images [N, C, H, W] and int64 labels [N]
// (the storage of Fashion-MNIST, CIFAR-10 and synthetic data; also handy in tests).
std::shared_ptr<DataSplit> make_memory_split(torch::Tensor images_u8, torch::Tensor labels);

// The bytes of a dataset file; DataError naming it ("cannot open <what>", "read error").
std::vector<uint8_t> read_bytes(const std::string& path, const std::string& what = "file");
// "" when `images` is defined uint8 [N, C, H, W], else "got <shape> <dtype>" (for an error message).
std::string uint8_images_problem(const torch::Tensor& images);

// Keeps the first `limit` examples of a split (a stratified prefix is not
// needed: callers shuffle); limit <= 0 keeps all.
std::shared_ptr<DataSplit> limit_split(std::shared_ptr<DataSplit> split, int64_t limit);

}  // namespace lrid

// The in-memory DataSplit shared by Fashion-MNIST, CIFAR-10 and the synthetic
// data (one uint8 tensor [N, C, H, W] plus int64 labels [N]), and limit_split,
// a prefix view over any split.
#include "images/datasets.h"

#include <torch/torch.h>

#include <fstream>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/errors.h"

namespace lrid {
namespace {

// Indices are produced by the loader, so a bad one is a bug, not bad data.
torch::Tensor index_tensor(const std::vector<int64_t>& indices, int64_t size) {
  for (int64_t i : indices) {
    if (i < 0 || i >= size) {
      throw std::out_of_range(
          fmt::format("dataset index {} is outside the split's range [0, {})", i, size));
    }
  }
  // from_blob does not own the vector's memory: clone before it goes away.
  return torch::from_blob(const_cast<int64_t*>(indices.data()),
                          {static_cast<int64_t>(indices.size())}, torch::kInt64)
      .clone();
}

class MemorySplit : public DataSplit {
 public:
  MemorySplit(torch::Tensor images, torch::Tensor labels)
      : images_(std::move(images)), labels_(std::move(labels)) {}
  int64_t size() const override { return images_.size(0); }
  int64_t channels() const override { return images_.size(1); }
  int64_t height() const override { return images_.size(2); }
  int64_t width() const override { return images_.size(3); }
  const torch::Tensor& labels() const override { return labels_; }
  torch::Tensor images(const std::vector<int64_t>& indices) const override {
    return images_.index_select(0, index_tensor(indices, size()));
  }

 private:
  torch::Tensor images_;  // uint8 [N, C, H, W], contiguous
  torch::Tensor labels_;  // int64 [N]
};

// The first `limit` examples of `base`; everything else forwards.
class PrefixSplit : public DataSplit {
 public:
  PrefixSplit(std::shared_ptr<DataSplit> base, int64_t limit)
      : base_(std::move(base)), limit_(limit), labels_(base_->labels().slice(0, 0, limit)) {}
  int64_t size() const override { return limit_; }
  int64_t channels() const override { return base_->channels(); }
  int64_t height() const override { return base_->height(); }
  int64_t width() const override { return base_->width(); }
  const torch::Tensor& labels() const override { return labels_; }
  torch::Tensor images(const std::vector<int64_t>& indices) const override {
    index_tensor(indices, limit_);  // range check against the prefix, not the base
    return base_->images(indices);
  }

 private:
  std::shared_ptr<DataSplit> base_;
  int64_t limit_;
  torch::Tensor labels_;  // int64 [limit_], a view of the base labels
};

}  // namespace

std::vector<uint8_t> read_bytes(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw DataError(fmt::format("{}: cannot open {}", path, what));
  std::vector<uint8_t> bytes(static_cast<size_t>(in.tellg()));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!in) throw DataError(fmt::format("{}: read error", path));
  return bytes;
}

std::string uint8_images_problem(const torch::Tensor& images) {
  if (images.defined() && images.dim() == 4 && images.scalar_type() == torch::kUInt8) return "";
  return fmt::format("got {} {}", images.defined() ? images.sizes().vec() : std::vector<int64_t>{},
                     images.defined() ? c10::toString(images.scalar_type()) : "undefined");
}

std::shared_ptr<DataSplit> make_memory_split(torch::Tensor images_u8, torch::Tensor labels) {
  if (const std::string problem = uint8_images_problem(images_u8); !problem.empty())
    throw DataError(fmt::format("in-memory split: images must be uint8 [N, C, H, W], {}", problem));
  if (!labels.defined() || labels.dim() != 1 || labels.size(0) != images_u8.size(0)) {
    throw DataError(fmt::format("in-memory split: labels must be [N] with N = {} images, got {}",
                                images_u8.size(0),
                                labels.defined() ? labels.sizes().vec() : std::vector<int64_t>{}));
  }
  if (images_u8.size(0) < 1 || images_u8.size(1) < 1 || images_u8.size(2) < 1 ||
      images_u8.size(3) < 1) {
    throw DataError(fmt::format("in-memory split: every image dimension must be >= 1, got {}",
                                images_u8.sizes().vec()));
  }
  return std::make_shared<MemorySplit>(images_u8.cpu().contiguous(),
                                       labels.cpu().to(torch::kInt64).contiguous());
}

std::shared_ptr<DataSplit> limit_split(std::shared_ptr<DataSplit> split, int64_t limit) {
  if (!split) throw ConfigError("limit_split: the split is null");
  if (limit <= 0 || limit >= split->size()) return split;
  return std::make_shared<PrefixSplit>(std::move(split), limit);
}

}  // namespace lrid

// Array input for `lrid stats`. See array_io.h.
#include "observables/array_io.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/errors.h"
#include "core/files.h"

namespace lrid {
namespace {

// The value of `key` in the header's Python dict literal, e.g. 'descr': '<f4'.
std::string dict_value(const std::string& header, const std::string& key, const std::string& path) {
  auto k = header.find("'" + key + "'");
  if (k == std::string::npos) throw DataError(fmt::format("{}: .npy header has no '{}'", path, key));
  const auto colon = header.find(':', k + key.size() + 2);
  const auto start = colon == std::string::npos ? colon : header.find_first_not_of(" ", colon + 1);
  if (start == std::string::npos) throw DataError(fmt::format("{}: .npy header has no value for '{}'", path, key));
  if (header[start] == '(') {
    const auto close = header.find(')', start);
    if (close == std::string::npos) throw DataError(fmt::format("{}: .npy header: unclosed '{}' tuple", path, key));
    return header.substr(start, close - start + 1);
  }
  auto end = header.find_first_of(",}", start);
  std::string v = header.substr(start, end - start);
  while (!v.empty() && v.back() == ' ') v.pop_back();
  if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"')) v = v.substr(1, v.size() - 2);
  return v;
}

void check_finite(const torch::Tensor& t, const std::string& path) {
  if (t.numel() == 0) throw DataError(fmt::format("{}: the array is empty", path));
  torch::Tensor bad = t.isfinite().logical_not();
  if (bad.any().item<bool>()) {
    auto idx = bad.reshape({-1}).nonzero()[0].item<int64_t>();
    throw DataError(fmt::format("{}: non-finite value ({}) at flat index {}; recordings must be finite", path,
                                t.reshape({-1})[idx].item<double>(), idx));
  }
}

}  // namespace

namespace {

// The header dictionary of a .npy file and where its data start (format versions 1-3).
struct NpyHeader {
  std::string text;
  std::size_t data_start = 0;
};

NpyHeader npy_header(const std::string& data, const std::string& path) {
  if (data.size() < 10 || data.compare(0, 6, "\x93NUMPY") != 0)
    throw DataError(fmt::format("{}: not a .npy file (bad magic)", path));
  const auto major = static_cast<unsigned char>(data[6]);
  std::size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(data[8]) | (static_cast<unsigned char>(data[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (data.size() < 12) throw DataError(fmt::format("{}: truncated .npy header", path));
    for (int i = 0; i < 4; ++i) header_len |= static_cast<std::size_t>(static_cast<unsigned char>(data[8 + i])) << (8 * i);
    offset = 12;
  } else {
    throw DataError(fmt::format("{}: unsupported .npy format version {}", path, major));
  }
  if (data.size() < offset + header_len) throw DataError(fmt::format("{}: truncated .npy header", path));
  return {data.substr(offset, header_len), offset + header_len};
}

// float32 or float64, little-endian or native: the dtype and its item size.
std::pair<torch::ScalarType, std::size_t> npy_dtype(const std::string& descr, const std::string& path) {
  if (descr == "<f4" || descr == "=f4" || descr == "|f4") return {torch::kFloat32, 4};
  if (descr == "<f8" || descr == "=f8") return {torch::kFloat64, 8};
  throw DataError(fmt::format("{}: dtype '{}' is not supported; save float32 or float64 "
                              "(e.g. np.save(path, a.astype(np.float32)))", path, descr));
}

// "(4, 3)", "(7,)", "()" -> {4, 3}, {7}, {}.
std::vector<int64_t> npy_shape(const std::string& shape_text, const std::string& path) {
  const auto bad = [&] { return DataError(fmt::format("{}: bad shape {} in the .npy header", path, shape_text)); };
  if (shape_text.size() < 2 || shape_text.front() != '(' || shape_text.back() != ')') throw bad();
  std::vector<int64_t> shape;
  std::istringstream ss(shape_text.substr(1, shape_text.size() - 2));
  for (std::string tok; std::getline(ss, tok, ',');) {
    const auto b = tok.find_first_not_of(" ");
    if (b == std::string::npos) continue;
    try {
      shape.push_back(std::stoll(tok.substr(b)));
    } catch (const std::exception&) {
      throw bad();
    }
    if (shape.back() < 0) throw bad();
  }
  return shape;
}

// The data bytes a shape needs; DataError when the count overflows (no file holds that much).
std::size_t npy_bytes(const std::vector<int64_t>& shape, std::size_t item, const std::string& shape_text,
                      const std::string& path) {
  std::size_t bytes = item;
  for (int64_t d : shape)
    if (__builtin_mul_overflow(bytes, static_cast<std::size_t>(d), &bytes))
      throw DataError(fmt::format("{}: the .npy header's shape {} is implausibly large", path, shape_text));
  return bytes;
}

}  // namespace

torch::Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(fmt::format("{}: cannot open", path));
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const NpyHeader header = npy_header(data, path);
  const auto [dtype, item] = npy_dtype(dict_value(header.text, "descr", path), path);
  if (dict_value(header.text, "fortran_order", path) != "False")
    throw DataError(fmt::format("{}: Fortran-ordered array; save a C-ordered copy (np.ascontiguousarray)", path));
  const std::string shape_text = dict_value(header.text, "shape", path);
  const std::vector<int64_t> shape = npy_shape(shape_text, path);
  const std::size_t bytes = npy_bytes(shape, item, shape_text, path), start = header.data_start;
  if (data.size() - start != bytes)
    throw DataError(fmt::format("{}: holds {} data bytes, the header's shape {} needs {} (truncated?)", path,
                                data.size() - start, shape_text, bytes));
  torch::Tensor t = torch::empty(shape, dtype);
  if (bytes > 0) std::memcpy(t.data_ptr(), data.data() + start, bytes);
  t = t.to(torch::kFloat64);
  check_finite(t, path);
  return t;
}

torch::Tensor read_csv_matrix(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw DataError(fmt::format("{}: cannot open", path));
  std::vector<double> values;
  int64_t cols = -1, rows = 0, line_no = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::vector<std::string> cells;
    std::istringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    std::vector<double> row;
    bool header = false;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const char* s = cells[c].c_str();
      char* end = nullptr;
      double v = std::strtod(s, &end);
      while (end && (*end == ' ' || *end == '\t')) ++end;
      if (end == s || *end != '\0') {
        if (rows == 0 && values.empty()) {
          header = true;  // a first row of names
          break;
        }
        throw DataError(fmt::format("{}:{}: column {}: '{}' is not a number", path, line_no, c + 1, cells[c]));
      }
      if (!std::isfinite(v))
        throw DataError(fmt::format("{}:{}: column {}: non-finite value '{}'", path, line_no, c + 1, cells[c]));
      row.push_back(v);
    }
    if (header) {
      cols = static_cast<int64_t>(cells.size());
      continue;
    }
    if (cols >= 0 && static_cast<int64_t>(row.size()) != cols)
      throw DataError(fmt::format("{}:{}: {} columns, expected {}", path, line_no, row.size(), cols));
    cols = static_cast<int64_t>(row.size());
    values.insert(values.end(), row.begin(), row.end());
    ++rows;
  }
  if (rows == 0) throw DataError(fmt::format("{}: no numeric rows (empty matrix)", path));
  return torch::tensor(values, torch::kFloat64).view({rows, cols});
}

torch::Tensor read_array(const std::string& path) {
  if (!std::filesystem::exists(path)) throw DataError(fmt::format("{}: no such file", path));
  const std::string ext = std::filesystem::path(path).extension().string();
  return ext == ".npy" ? read_npy(path) : read_csv_matrix(path);
}

void write_npy(const std::string& path, const torch::Tensor& t_in) {
  torch::Tensor t = t_in.contiguous().cpu();
  const char* descr = t.scalar_type() == torch::kFloat32 ? "<f4" : "<f8";
  TORCH_CHECK(t.scalar_type() == torch::kFloat32 || t.scalar_type() == torch::kFloat64, "write_npy: float only");
  std::string shape;
  for (int64_t d : t.sizes()) shape += fmt::format("{},", d);
  if (t.dim() > 1) shape.pop_back();
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", descr, shape);
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out.append(static_cast<const char*>(t.data_ptr()), static_cast<std::size_t>(t.numel() * t.element_size()));
  write_file_atomic(path, out);
}

}  // namespace lrid

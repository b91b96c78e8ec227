// HDF5 trajectory datasets. See trajectory_dataset.h. Uses the HDF5 C API
// (Debian libhdf5-dev); every failure becomes a DataError/IoError naming the
// file and the dataset.
#include "trajectories/trajectory_dataset.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <hdf5.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/errors.h"
#include "core/files.h"
#include "observables/names.h"

namespace lrid {
namespace {

// Closes an HDF5 handle at scope exit.
struct Handle {
  hid_t id = -1;
  herr_t (*close)(hid_t) = nullptr;
  Handle(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  ~Handle() {
    if (id >= 0 && close) close(id);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  operator hid_t() const { return id; }
  // Closes now; < 0 when the close failed (a dataset's close writes its cached chunks).
  herr_t close_now() {
    const herr_t r = close(id);
    id = -1;
    return r;
  }
};

void quiet_hdf5() {
  static bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

// The innermost message on HDF5's error stack, which is then cleared: for a failed
// write, the OS error ("No space left on device"); for a file cut short, "truncated file: eof = ...".
std::string hdf5_reason() {
  std::string desc;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
        if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
        return 0;
      },
      &desc);
  H5Eclear2(H5E_DEFAULT);
  const std::string os = "error message = '";  // the sec2 driver's wording around strerror()
  const auto at = desc.find(os);
  if (at != std::string::npos) {
    const auto from = at + os.size();
    return desc.substr(from, desc.find('\'', from) - from);
  }
  return desc.empty() ? "HDF5 error" : desc;
}

// Reading a damaged file: one line naming it, what failed, and the remedy.
[[noreturn]] void corrupt(const std::string& file, const std::string& what) {
  throw DataError(fmt::format("{}: truncated or corrupt HDF5 file ({}: {}); rebuild it with `lrid dataset build`",
                              file, what, hdf5_reason()));
}

hid_t utf8_vlen_type() {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

void write_strings(hid_t loc, const std::string& name, const std::vector<std::string>& v, const std::string& file) {
  hsize_t n = v.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle type(utf8_vlen_type(), H5Tclose);
  Handle ds(H5Dcreate2(loc, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  if (ds < 0) throw IoError(fmt::format("{}: cannot create dataset {} ({})", file, name, hdf5_reason()));
  std::vector<const char*> ptrs;
  for (const auto& s : v) ptrs.push_back(s.c_str());
  if ((n > 0 && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0) || ds.close_now() < 0)
    throw IoError(fmt::format("{}: cannot write dataset {} ({})", file, name, hdf5_reason()));
}

template <class T>
void write_numeric(hid_t loc, const std::string& name, const T* data, const std::vector<hsize_t>& dims,
                   hid_t mem_type, hid_t file_type, const std::string& file) {
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  hsize_t total = 1;
  for (auto d : dims) total *= d;
  // Arrays of rows (X, X_cat) are stored in chunks of whole rows, byte-shuffled and
  // deflated (standard HDF5 filters: h5py and every HDF5 reader decode them).
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (dims.size() >= 2 && total >= 4096) {
    std::vector<hsize_t> chunk = dims;
    const hsize_t row = total / dims[0];
    chunk[0] = std::max<hsize_t>(1, std::min<hsize_t>(dims[0], (1 << 18) / std::max<hsize_t>(row, 1)));
    H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, 4);
  }
  Handle ds(H5Dcreate2(loc, name.c_str(), file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
  if (ds < 0) throw IoError(fmt::format("{}: cannot create dataset {} ({})", file, name, hdf5_reason()));
  if ((total > 0 && H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) || ds.close_now() < 0)
    throw IoError(fmt::format("{}: cannot write dataset {} ({})", file, name, hdf5_reason()));
}

void write_attribute(hid_t loc, const std::string& name, const std::string& value, const std::string& file) {
  Handle type(utf8_vlen_type(), H5Tclose);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(loc, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* p = value.c_str();
  if (attr < 0 || H5Awrite(attr, type, &p) < 0)
    throw IoError(fmt::format("{}: cannot write attribute {} ({})", file, name, hdf5_reason()));
}

// An HDF5 file written whole or not at all: fill(file) writes its contents under a
// temporary name in the same folder; the flush and the close (where cached chunks
// and metadata reach the disk) are checked, and commit_file syncs and renames it
// into place. On any failure the temporary goes and a previous `path` stays.
template <class Fill>
void write_hdf5_atomic(const std::string& path, Fill fill) {
  quiet_hdf5();
  const std::filesystem::path tmp = temporary_path(path);
  hid_t file = H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0) {
    std::remove(tmp.c_str());  // HDF5 may have created it before failing
    throw IoError(fmt::format("{}: cannot create ({})", path, hdf5_reason()));
  }
  std::string failed;
  try {
    fill(file);  // every object it opens is closed when it returns
  } catch (...) {
    H5Fclose(file);
    std::remove(tmp.c_str());
    throw;
  }
  if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) failed = hdf5_reason();
  if (H5Fclose(file) < 0 && failed.empty()) failed = hdf5_reason();
  if (!failed.empty()) {
    std::remove(tmp.c_str());
    throw IoError(fmt::format("{}: write failed ({})", path, failed));
  }
  commit_file(tmp, path);
}

std::vector<hsize_t> dims_of(hid_t ds) {
  Handle space(H5Dget_space(ds), H5Sclose);
  int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> d(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space, d.data(), nullptr);
  return d;
}

// Rejects a dataset whose header declares more data than its file could hold,
// before anything is allocated for it (a corrupt header asked for terabytes).
// Datasets are at most deflate-compressed, whose ratio stays below 1032:1.
void check_declared_size(const std::vector<hsize_t>& dims, std::size_t item, const std::string& file,
                         const std::string& name) {
  constexpr std::uintmax_t kMaxRatio = 1100, kSlack = std::uintmax_t{1} << 20;
  std::error_code ec;
  const std::uintmax_t file_bytes = std::filesystem::file_size(file, ec);
  std::uintmax_t bytes = item;
  bool overflow = ec.value() != 0;
  for (hsize_t d : dims) overflow = overflow || __builtin_mul_overflow(bytes, d, &bytes);
  if (overflow || bytes > kSlack + kMaxRatio * file_bytes)
    throw DataError(fmt::format("{}: dataset '{}' declares shape [{}], more data than a {}-byte file can hold "
                                "(corrupt file?)", file, name, fmt::join(dims, ", "), file_bytes));
}

hid_t open_dataset(hid_t loc, const std::string& name, const std::string& file, bool required = true) {
  if (H5Lexists(loc, name.c_str(), H5P_DEFAULT) <= 0) {
    if (!required) return -1;
    throw DataError(fmt::format("{}: required dataset '{}' is missing (is this an lrid trajectory dataset?)", file,
                                name));
  }
  hid_t ds = H5Dopen2(loc, name.c_str(), H5P_DEFAULT);
  if (ds < 0) corrupt(file, fmt::format("cannot open dataset '{}'", name));
  return ds;
}

std::vector<std::string> read_strings(hid_t loc, const std::string& name, const std::string& file) {
  Handle ds(open_dataset(loc, name, file), H5Dclose);
  auto dims = dims_of(ds);
  if (dims.size() != 1) throw DataError(fmt::format("{}: '{}' must be a 1-D string array", file, name));
  Handle ftype(H5Dget_type(ds), H5Tclose);
  if (H5Tget_class(ftype) != H5T_STRING) throw DataError(fmt::format("{}: '{}' must hold strings", file, name));
  const std::size_t n = dims[0];
  check_declared_size(dims, sizeof(std::string) + H5Tget_size(ftype), file, name);
  std::vector<std::string> out(n);
  if (n == 0) return out;
  if (H5Tis_variable_str(ftype) > 0) {
    Handle mtype(utf8_vlen_type(), H5Tclose);
    H5Tset_cset(mtype, H5Tget_cset(ftype));
    std::vector<char*> ptrs(n, nullptr);
    if (H5Dread(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0)
      corrupt(file, fmt::format("cannot read '{}'", name));
    for (std::size_t i = 0; i < n; ++i) out[i] = ptrs[i] ? ptrs[i] : "";
    Handle space(H5Dget_space(ds), H5Sclose);
    H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, ptrs.data());
  } else {
    const std::size_t len = H5Tget_size(ftype);
    std::vector<char> buf(n * len);
    if (H5Dread(ds, ftype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
      corrupt(file, fmt::format("cannot read '{}'", name));
    for (std::size_t i = 0; i < n; ++i) {
      std::string s(buf.data() + i * len, len);
      out[i] = s.substr(0, s.find('\0'));
    }
  }
  return out;
}

torch::Tensor read_floats(hid_t loc, const std::string& name, const std::string& file, torch::ScalarType dtype,
                          int rank) {
  Handle ds(open_dataset(loc, name, file), H5Dclose);
  auto dims = dims_of(ds);
  if (static_cast<int>(dims.size()) != rank)
    throw DataError(fmt::format("{}: '{}' has {} dimensions, expected {}", file, name, dims.size(), rank));
  Handle ftype(H5Dget_type(ds), H5Tclose);
  const H5T_class_t cls = H5Tget_class(ftype);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    throw DataError(fmt::format("{}: '{}' must be numeric", file, name));
  check_declared_size(dims, torch::elementSize(dtype), file, name);
  std::vector<int64_t> shape(dims.begin(), dims.end());
  torch::Tensor t = torch::empty(shape, dtype);
  if (t.numel() > 0 &&
      H5Dread(ds, dtype == torch::kFloat32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
              t.data_ptr()) < 0)
    corrupt(file, fmt::format("cannot read '{}'", name));
  return t;
}

MetaColumn read_meta_column(hid_t group, const std::string& name, const std::string& file) {
  Handle ds(open_dataset(group, name, file), H5Dclose);
  Handle ftype(H5Dget_type(ds), H5Tclose);
  MetaColumn c;
  const auto dims = dims_of(ds);
  if (dims.size() != 1) throw DataError(fmt::format("{}: meta column '{}' must be 1-D", file, name));
  switch (H5Tget_class(ftype)) {
    case H5T_STRING:
      c.kind = MetaColumn::Kind::kString;
      c.strings = read_strings(group, name, file);
      break;
    case H5T_INTEGER:
      c.kind = MetaColumn::Kind::kInt;
      check_declared_size(dims, sizeof(int64_t), file, "meta/" + name);
      c.ints.resize(dims[0]);
      if (dims[0] > 0 && H5Dread(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.ints.data()) < 0)
        corrupt(file, fmt::format("cannot read meta column '{}'", name));
      break;
    case H5T_FLOAT:
      c.kind = MetaColumn::Kind::kReal;
      check_declared_size(dims, sizeof(double), file, "meta/" + name);
      c.reals.resize(dims[0]);
      if (dims[0] > 0 && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.reals.data()) < 0)
        corrupt(file, fmt::format("cannot read meta column '{}'", name));
      break;
    default:
      throw DataError(fmt::format("{}: meta column '{}' has an unsupported type", file, name));
  }
  return c;
}

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}

}  // namespace

int64_t MetaColumn::size() const {
  switch (kind) {
    case Kind::kString: return static_cast<int64_t>(strings.size());
    case Kind::kInt: return static_cast<int64_t>(ints.size());
    case Kind::kReal: return static_cast<int64_t>(reals.size());
  }
  return 0;
}

std::string MetaColumn::as_string(int64_t row) const {
  const auto r = static_cast<std::size_t>(row);
  switch (kind) {
    case Kind::kString: return strings[r];
    case Kind::kInt: return std::to_string(ints[r]);
    case Kind::kReal: return fmt::format("{}", reals[r]);
  }
  return "";
}

void TrajectoryDataset::validate(const std::string& what) const {
  if (!x.defined() || x.dim() != 3) throw DataError(fmt::format("{}: X must be [N, T, K]", what));
  const int64_t n = x.size(0), t = x.size(1), k = x.size(2);
  if (n == 0) throw DataError(fmt::format("{}: the dataset has no rows", what));
  if (static_cast<int64_t>(y.size()) != n)
    throw DataError(fmt::format("{}: Y has {} labels for {} rows", what, y.size(), n));
  if (static_cast<int64_t>(obs_keys.size()) != k)
    throw DataError(fmt::format("{}: obs_keys has {} names for K = {}", what, obs_keys.size(), k));
  if (!x_cat.defined() || x_cat.dim() != 3 || x_cat.size(0) != n || x_cat.size(1) != t || x_cat.size(2) != 3)
    throw DataError(fmt::format("{}: X_cat must be [N, T, 3] = [{}, {}, 3]", what, n, t));
  if (time_epochs.defined() && time_epochs.numel() != t)
    throw DataError(fmt::format("{}: time_epochs has {} entries for T = {}", what, time_epochs.numel(), t));
  for (const auto& [name, col] : meta)
    if (col.size() != n) throw DataError(fmt::format("{}: meta column '{}' has {} rows, X has {}", what, name, col.size(), n));
}

TrajectoryDataset TrajectoryDataset::subset(const std::vector<int64_t>& rows) const {
  TrajectoryDataset out;
  torch::Tensor idx = torch::tensor(rows, torch::kInt64);
  out.x = x.index_select(0, idx);
  out.x_cat = x_cat.index_select(0, idx);
  out.time_epochs = time_epochs;
  out.obs_keys = obs_keys;
  out.attributes = attributes;
  for (int64_t r : rows) out.y.push_back(y[static_cast<std::size_t>(r)]);
  for (const auto& [name, col] : meta) {
    MetaColumn c;
    c.kind = col.kind;
    for (int64_t r : rows) {
      const auto i = static_cast<std::size_t>(r);
      if (col.kind == MetaColumn::Kind::kString) c.strings.push_back(col.strings[i]);
      if (col.kind == MetaColumn::Kind::kInt) c.ints.push_back(col.ints[i]);
      if (col.kind == MetaColumn::Kind::kReal) c.reals.push_back(col.reals[i]);
    }
    out.meta[name] = std::move(c);
  }
  return out;
}

TrajectoryDataset read_dataset(const std::string& path) {
  quiet_hdf5();
  if (!std::filesystem::exists(path)) throw DataError(fmt::format("{}: no such file", path));
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    std::error_code ec;
    const bool empty = std::filesystem::file_size(path, ec) == 0 && !ec;
    throw DataError(
        fmt::format("{}: not an HDF5 file{}", path, empty ? " (empty; rebuild it with `lrid dataset build`)" : ""));
  }
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (file < 0) corrupt(path, "cannot open");
  TrajectoryDataset d;
  d.x = read_floats(file, "X", path, torch::kFloat32, 3);
  d.y = read_strings(file, "Y", path);
  d.obs_keys = read_strings(file, "obs_keys", path);
  d.x_cat = read_floats(file, "X_cat", path, torch::kFloat32, 3);
  if (H5Lexists(file, "time_epochs", H5P_DEFAULT) > 0)
    d.time_epochs = read_floats(file, "time_epochs", path, torch::kFloat64, 1);
  else
    d.time_epochs = torch::arange(d.x.size(1), torch::kFloat64);
  if (H5Lexists(file, "meta", H5P_DEFAULT) > 0) {
    Handle group(H5Gopen2(file, "meta", H5P_DEFAULT), H5Gclose);
    std::vector<std::string> names;
    H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name, &names);
    for (const auto& n : names) d.meta[n] = read_meta_column(group, n, path);
  }
  Handle root(H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose);
  H5O_info_t info;
  const int nattr = H5Oget_info(root, &info) >= 0 ? static_cast<int>(info.num_attrs) : 0;
  for (int i = 0; i < nattr; ++i) {
    Handle attr(H5Aopen_by_idx(root, ".", H5_INDEX_NAME, H5_ITER_INC, static_cast<hsize_t>(i), H5P_DEFAULT, H5P_DEFAULT),
                H5Aclose);
    char name[256];
    H5Aget_name(attr, sizeof name, name);
    Handle type(H5Aget_type(attr), H5Tclose);
    if (H5Tget_class(type) != H5T_STRING || H5Tis_variable_str(type) <= 0) continue;
    Handle mtype(utf8_vlen_type(), H5Tclose);
    char* value = nullptr;
    if (H5Aread(attr, mtype, &value) >= 0 && value) {
      d.attributes[name] = value;
      H5free_memory(value);
    }
  }
  d.validate(path);
  return d;
}

void write_dataset(const std::string& path, const TrajectoryDataset& d) {
  d.validate(path);
  write_hdf5_atomic(path, [&](hid_t file) {
    torch::Tensor x = d.x.to(torch::kFloat32).contiguous(), xc = d.x_cat.to(torch::kFloat32).contiguous();
    auto dims3 = [](const torch::Tensor& t) {
      return std::vector<hsize_t>{static_cast<hsize_t>(t.size(0)), static_cast<hsize_t>(t.size(1)),
                                  static_cast<hsize_t>(t.size(2))};
    };
    write_numeric(file, "X", x.data_ptr<float>(), dims3(x), H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, path);
    write_numeric(file, "X_cat", xc.data_ptr<float>(), dims3(xc), H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, path);
    write_strings(file, "Y", d.y, path);
    write_strings(file, "obs_keys", d.obs_keys, path);
    torch::Tensor te = (d.time_epochs.defined() ? d.time_epochs : torch::arange(x.size(1))).to(torch::kFloat64).contiguous();
    write_numeric(file, "time_epochs", te.data_ptr<double>(), {static_cast<hsize_t>(te.numel())}, H5T_NATIVE_DOUBLE,
                  H5T_IEEE_F64LE, path);
    Handle group(H5Gcreate2(file, "meta", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (group < 0) throw IoError(fmt::format("{}: cannot create group meta ({})", path, hdf5_reason()));
    for (const auto& [name, col] : d.meta) {
      const std::vector<hsize_t> n{static_cast<hsize_t>(col.size())};
      if (col.kind == MetaColumn::Kind::kString) write_strings(group, name, col.strings, path);
      if (col.kind == MetaColumn::Kind::kInt)
        write_numeric(group, name, col.ints.data(), n, H5T_NATIVE_INT64, H5T_STD_I64LE, path);
      if (col.kind == MetaColumn::Kind::kReal)
        write_numeric(group, name, col.reals.data(), n, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, path);
    }
    Handle root(H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose);
    for (const auto& [k, v] : d.attributes) write_attribute(root, k, v, path);
  });
}

void write_arrays(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& arrays) {
  write_hdf5_atomic(path, [&](hid_t file) {
    for (const auto& [name, t] : arrays) {
      torch::Tensor c = t.to(torch::kFloat64).contiguous();
      std::vector<hsize_t> dims(c.sizes().begin(), c.sizes().end());
      write_numeric(file, name, c.data_ptr<double>(), dims, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, path);
    }
  });
}

std::vector<int64_t> select_observables(const TrajectoryDataset& data, const std::string& selection,
                                        std::vector<std::string>* names_out) {
  std::vector<std::string> names;
  if (selection == "every") {
    names = data.obs_keys;  // every observable of the dataset, in its order
  } else if (selection == "all" || selection == "all45" || selection == "weight" || selection == "act" ||
      selection == "grad") {
    names = observable_set(selection);
  } else {
    std::stringstream ss(selection);
    std::string n;
    while (std::getline(ss, n, ','))
      if (!n.empty()) names.push_back(n);
    if (names.empty()) throw ConfigError(fmt::format("--observables '{}': no observable named", selection));
  }
  std::vector<int64_t> idx;
  for (const auto& n : names) {
    auto it = std::find(data.obs_keys.begin(), data.obs_keys.end(), n);
    if (it == data.obs_keys.end())
      throw DataError(fmt::format("observable '{}' is not in the dataset (it has {} observables, e.g. {})", n,
                                  data.obs_keys.size(), data.obs_keys.empty() ? "none" : data.obs_keys.front()));
    idx.push_back(it - data.obs_keys.begin());
  }
  if (names_out) *names_out = names;
  return idx;
}

std::vector<int64_t> nonfinite_rows(const TrajectoryDataset& data, const std::vector<int64_t>& columns) {
  torch::Tensor sel = data.x.index_select(2, torch::tensor(columns, torch::kInt64));
  torch::Tensor bad = sel.isfinite().logical_not().flatten(1).any(1).nonzero().flatten();
  return std::vector<int64_t>(bad.data_ptr<int64_t>(), bad.data_ptr<int64_t>() + bad.numel());
}

}  // namespace lrid

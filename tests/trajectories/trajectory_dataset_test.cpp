// The HDF5 trajectory dataset: round trip, selection, and bad files: a file cut
// short is one line naming the remedy; a full disk (a real small tmpfs) is one
// line with ENOSPC and leaves the previous file whole.
#include "trajectories/trajectory_dataset.h"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>

#include "classifiers/classifier_test_data.h"
#include "core/errors.h"
#include "core/files.h"
#include "small_disk.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

fs::path dataset_tmp(const std::string& n) {
  return fs::temp_directory_path() / fmt::format("lrid_ds_{}_{}", static_cast<long>(getpid()), n);
}

TEST(TrajectoryDataset, RoundTripKeepsEveryField) {
  TrajectoryDataset d = testing::synthetic_trajectories(5, {"adam", "fa", "sgdm"}, {"weightraw_mean"}, 1.0, 3);
  MetaColumn seeds;
  seeds.kind = MetaColumn::Kind::kInt;
  MetaColumn frac;
  frac.kind = MetaColumn::Kind::kReal;
  for (int64_t i = 0; i < d.rows(); ++i) {
    seeds.ints.push_back(i * 3 - 1);
    frac.reals.push_back(i % 2 ? 0.5 : std::nan(""));
  }
  d.meta["model_seed"] = seeds;
  d.meta["obs_frac"] = frac;
  d.attributes["lrid_commit"] = "abc";
  d.x[2][3][4] = std::nanf("");  // non-finite values are allowed in X
  write_dataset(dataset_tmp("rt.h5").string(), d);
  TrajectoryDataset e = read_dataset(dataset_tmp("rt.h5").string());
  EXPECT_TRUE(torch::equal(e.x.nan_to_num(), d.x.nan_to_num()));
  EXPECT_TRUE(std::isnan(e.x[2][3][4].item<float>()));
  EXPECT_TRUE(torch::equal(e.x_cat, d.x_cat));
  EXPECT_EQ(e.y, d.y);
  EXPECT_EQ(e.obs_keys, d.obs_keys);
  EXPECT_TRUE(torch::equal(e.time_epochs, d.time_epochs));
  EXPECT_EQ(e.meta.at("layer").strings, d.meta.at("layer").strings);
  EXPECT_EQ(e.meta.at("model_seed").ints, seeds.ints);
  EXPECT_TRUE(std::isnan(e.meta.at("obs_frac").reals[0]));
  EXPECT_EQ(e.attributes.at("lrid_commit"), "abc");
  auto rows = nonfinite_rows(e, {4});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], 2);
  fs::remove(dataset_tmp("rt.h5"));
}

TEST(TrajectoryDataset, SelectionByNameAndSet) {
  TrajectoryDataset d = testing::synthetic_trajectories(2, {"a", "b"}, {}, 0.0, 1);
  std::vector<std::string> names;
  auto idx = select_observables(d, "act", &names);
  EXPECT_EQ(names.size(), 8u);
  EXPECT_EQ(d.obs_keys[static_cast<std::size_t>(idx[0])], "actabs_mean");
  EXPECT_EQ(select_observables(d, "gradavgraw_id,weightraw_norm").size(), 2u);
  EXPECT_EQ(select_observables(d, "every").size(), d.obs_keys.size());
  EXPECT_THROW(select_observables(d, "weightsq_norm"), DataError);  // not in this (admissible) dataset
  EXPECT_THROW(select_observables(d, ","), ConfigError);
}

TEST(TrajectoryDataset, MissingFieldsAndForeignFilesAreDataErrors) {
  write_file_atomic(dataset_tmp("text.h5"), "not hdf5");
  EXPECT_THROW(read_dataset(dataset_tmp("text.h5").string()), DataError);
  EXPECT_THROW(read_dataset(dataset_tmp("missing.h5").string()), DataError);
  std::vector<std::pair<std::string, torch::Tensor>> only_x = {{"X", torch::zeros({2, 3, 4})}};
  write_arrays(dataset_tmp("onlyx.h5").string(), only_x);
  test::expect_error<DataError>([] { read_dataset(dataset_tmp("onlyx.h5").string()); }, "'Y' is missing");
  fs::remove(dataset_tmp("text.h5"));
  fs::remove(dataset_tmp("onlyx.h5"));
}

TEST(TrajectoryDataset, AFileCutShortIsOneDataErrorNamingItAndTheRemedyWithoutHdf5sStack) {
  test::TempDir dir;
  const std::string path = (dir.path() / "dataset.h5").string();
  write_dataset(path, testing::synthetic_trajectories(20, {"adam", "fa"}, {"weightraw_mean"}, 1.0, 3));
  const auto size = fs::file_size(path);
  for (const auto cut : {size / 2, size - 100, std::uintmax_t{2048}, std::uintmax_t{0}}) {
    fs::resize_file(path, cut);
    ::testing::internal::CaptureStderr();
    const std::string e = test::error_message<DataError>([&] { read_dataset(path); });
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "") << cut;  // HDF5 prints no error stack
    EXPECT_EQ(e.rfind(path + ": ", 0), 0u) << e;
    EXPECT_NE(e.find("rebuild it with `lrid dataset build`"), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
    if (cut > 0) EXPECT_NE(e.find("truncated or corrupt HDF5 file"), std::string::npos) << e;
  }
}

TEST(TrajectoryDataset, AFullDiskIsOneIoErrorKeepingThePreviousFileAndTheNextWriteCompletes) {
  test::TempDir dir;
  test::SmallDisk disk(dir.path() / "disk", "1m");
  if (!disk.mounted()) GTEST_SKIP() << "needs root to mount a tmpfs";
  const std::string path = (dir.path() / "disk" / "dataset.h5").string();
  const TrajectoryDataset first = testing::synthetic_trajectories(4, {"adam", "fa"}, {"weightraw_mean"}, 1.0, 3);
  write_dataset(path, first);
  const std::string before = read_file(path);
  // Larger than the disk (X alone is 2 MB), and on a disk with no byte left.
  const TrajectoryDataset big = testing::synthetic_trajectories(1000, {"adam", "fa"}, {"weightraw_mean"}, 1.0, 3);
  for (bool filled : {false, true}) {
    if (filled) disk.fill();
    ::testing::internal::CaptureStderr();
    const std::string e = test::error_message<IoError>([&] { write_dataset(path, filled ? first : big); });
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
    EXPECT_EQ(e.rfind(path + ": ", 0), 0u) << e;
    EXPECT_NE(e.find("No space left on device"), std::string::npos) << e;
    EXPECT_EQ(read_file(path), before);  // the previous file, whole
    for (const auto& f : fs::directory_iterator(dir.path() / "disk"))
      EXPECT_EQ(f.path().filename().string().find(".tmp"), std::string::npos) << f.path();
  }
  disk.unfill();
  ASSERT_TRUE(disk.resize("8m"));
  write_dataset(path, big);
  EXPECT_EQ(read_dataset(path).rows(), big.rows());
}

// A header declaring far more data than the file holds (tests/fuzz/hdf5_fuzz.cpp
// found one asking for 16 TB; tests/fuzz/corpus/hdf5/ keeps it) is a DataError
// naming the file and the dataset, before anything is allocated for it.
TEST(TrajectoryDataset, DeclaredShapeBeyondTheFileIsADataError) {
  const std::string path = dataset_tmp("huge.h5").string();
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t dims[3] = {hsize_t{1} << 20, hsize_t{1} << 20, 1024};  // 4 PB of float32, never written
  hid_t space = H5Screate_simple(3, dims, nullptr);
  hid_t ds = H5Dcreate2(file, "X", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dclose(ds);
  H5Sclose(space);
  H5Fclose(file);
  test::expect_error<DataError>([&] { read_dataset(path); },
                                path + ": dataset 'X' declares shape [1048576, 1048576, 1024]");
  fs::remove(path);
}

}  // namespace
}  // namespace lrid

// Reading users' recordings for `lrid stats`: NumPy .npy arrays (format 1.0-3.0,
// little-endian float32 or float64, C order) and CSV matrices (numbers separated
// by commas; one optional header row of names). Debian packages no C++ .npy
// reader (cnpy is not packaged) and the format is a short documented header
// plus raw data, so it is read here. Every problem is a DataError naming the
// file and what is wrong.
#pragma once
#include <torch/types.h>

#include <string>

namespace lrid {

// A float64 CPU tensor with the array's shape. Rejects other dtypes, Fortran
// order, big-endian data, truncated files and NaN/Inf values; empty arrays too.
torch::Tensor read_npy(const std::string& path);
// A float64 [rows, columns] CPU tensor; ragged rows, non-numbers, NaN and empty files are errors.
torch::Tensor read_csv_matrix(const std::string& path);
// By extension: .npy, else CSV.
torch::Tensor read_array(const std::string& path);
// Writes a float32/float64 CPU tensor as .npy (tests and benchmarks).
void write_npy(const std::string& path, const torch::Tensor& t);

}  // namespace lrid

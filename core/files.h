// Files of a run or a result: every file lrid writes goes to a temporary name
// in the same folder, is synced, and is renamed into place, so that a reader
// (or a crash) never sees half a file.
#pragma once
#include <filesystem>
#include <string>

namespace lrid {

namespace fs = std::filesystem;

// Writes `content` to `path` atomically (temporary file in the same folder, fsync, rename).
void write_file_atomic(const fs::path& path, const std::string& content);
// For writers that fill a file themselves (HDF5): the temporary name in the same
// folder that commit_file renames to `path`.
fs::path temporary_path(const fs::path& path);
// Syncs `tmp` and renames it to `path`; on failure removes `tmp` and throws IoError
// naming `path` and the OS error (a previous `path` stays as it was).
void commit_file(const fs::path& tmp, const fs::path& path);
// The whole file; IoError naming it when it cannot be read.
std::string read_file(const fs::path& path);
// Creates `dir` and its parents if needed; IoError naming it when that fails.
void ensure_directory(const fs::path& dir);

}  // namespace lrid

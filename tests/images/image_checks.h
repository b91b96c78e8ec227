// Shared checks of the dataset reader tests: the layout of a loaded ImageData
// (name, classes, split sizes and image shape) and missing files named.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/errors.h"
#include "images/datasets.h"
#include "test_util.h"

namespace lrid::image_checks {

struct Layout {
  std::string name;
  std::string first_class, last_class;  // of 10 classes
  int64_t train = 0, test = 0;          // split sizes
  int64_t channels = 0, height = 0, width = 0;
};

inline void expect_layout(const ImageData& data, const Layout& want) {
  EXPECT_EQ(data.name, want.name);
  EXPECT_EQ(data.num_classes, 10);
  ASSERT_EQ(data.class_names.size(), 10u);
  EXPECT_EQ(data.class_names.front(), want.first_class);
  EXPECT_EQ(data.class_names.back(), want.last_class);
  ASSERT_EQ(data.train->size(), want.train);
  ASSERT_EQ(data.test->size(), want.test);
  for (const auto* split : {data.train.get(), data.test.get()}) {
    EXPECT_EQ(split->channels(), want.channels);
    EXPECT_EQ(split->height(), want.height);
    EXPECT_EQ(split->width(), want.width);
  }
}

// Removes `file` from a complete fixture in `dir` and expects load(root) to
// throw a DataError naming it; a root that does not exist is named too.
template <class Load>
void expect_missing_files_named(const test::TempDir& dir, const std::string& file, Load load) {
  const std::filesystem::path gone = dir.path() / file;
  std::filesystem::remove(gone);
  test::expect_error<DataError>([&] { load(dir.str()); }, gone.string());
  const std::string absent = (dir.path() / "absent").string();
  test::expect_error<DataError>([&] { load(absent); }, absent);
}

}  // namespace lrid::image_checks

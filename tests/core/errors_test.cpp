// The error kinds of core/errors.h: each its own process exit code (the CLI
// exits with it), all caught as lrid::Error and as std::runtime_error, and the
// message kept as given.
#include "core/errors.h"

#include <gtest/gtest.h>

#include <string>
#include <type_traits>

namespace lrid {
namespace {

// The exit code and message of an error thrown as E and caught as lrid::Error.
template <class E>
std::pair<int, std::string> caught_as_error(const std::string& message) {
  try {
    throw E(message);
  } catch (const Error& e) {
    return {e.exit_code(), e.what()};
  }
  return {-1, ""};
}

TEST(Errors, EachKindHasItsExitCode) {
  EXPECT_EQ(caught_as_error<Error>("a"), std::make_pair(1, std::string("a")));
  EXPECT_EQ(caught_as_error<ConfigError>("b"), std::make_pair(2, std::string("b")));
  EXPECT_EQ(caught_as_error<DataError>("c"), std::make_pair(3, std::string("c")));
  EXPECT_EQ(caught_as_error<IoError>("d"), std::make_pair(4, std::string("d")));
  EXPECT_EQ(caught_as_error<DivergenceError>("e"), std::make_pair(5, std::string("e")));
}

TEST(Errors, KindsAreDistinctTypesUnderOneBase) {
  static_assert(std::is_base_of_v<Error, ConfigError> && std::is_base_of_v<Error, DivergenceError>);
  static_assert(std::is_base_of_v<std::runtime_error, Error>);
  static_assert(!std::is_same_v<ConfigError, DataError> && !std::is_same_v<DataError, IoError>);
  // A DataError is not caught by a handler for another kind.
  bool as_config = false, as_data = false;
  try {
    try {
      throw DataError("bad file");
    } catch (const ConfigError&) {
      as_config = true;
    }
  } catch (const DataError& e) {
    as_data = true;
    EXPECT_STREQ(e.what(), "bad file");
  }
  EXPECT_FALSE(as_config);
  EXPECT_TRUE(as_data);
  // Caught as std::runtime_error, the code still comes through the virtual call.
  try {
    throw IoError("x");
  } catch (const std::runtime_error& e) {
    ASSERT_NE(dynamic_cast<const Error*>(&e), nullptr);
    EXPECT_EQ(dynamic_cast<const Error&>(e).exit_code(), 4);
  }
}

}  // namespace
}  // namespace lrid

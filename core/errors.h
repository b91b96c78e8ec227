// The small exception hierarchy of lrid. Library code throws these; the CLI
// catches lrid::Error once in main, prints its one-line message and exits non-zero.
#pragma once
#include <stdexcept>
#include <string>

namespace lrid {

// Base of every error a user can cause (bad input) or meet (I/O, divergence).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  virtual int exit_code() const { return 1; }
};

// Malformed configuration: unknown key, wrong type, out-of-range value.
class ConfigError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 2; }
};

// Missing or malformed dataset file or directory.
class DataError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 3; }
};

// File-system or serialisation failure (run directory, checkpoint).
class IoError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 4; }
};

// Training produced a non-finite loss or parameter.
class DivergenceError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 5; }
};

}  // namespace lrid

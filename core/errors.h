// The small exception hierarchy of lrid. Library code throws these; the CLI
// catches lrid::Error once in main, prints its one-line message and exits
// with the kind's code.
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

// An Error kind with its own process exit code.
template <int kExitCode>
class ErrorKind : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return kExitCode; }
};

using ConfigError = ErrorKind<2>;      // malformed configuration: unknown key, wrong type, out-of-range value
using DataError = ErrorKind<3>;        // missing or malformed dataset file or directory
using IoError = ErrorKind<4>;          // file-system or serialisation failure (run directory, checkpoint)
using DivergenceError = ErrorKind<5>;  // training produced a non-finite loss or parameter

}  // namespace lrid

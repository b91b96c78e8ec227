// The whole `lrid` program behind main(): the CLI with every user-facing
// error caught once and printed as one line, the exit code saying which kind
// it was (core/errors.h). A header of its own so that main.cpp compiles
// without LibTorch's or CLI11's headers.
#pragma once

namespace lrid {

int lrid_main(int argc, char** argv);

}  // namespace lrid

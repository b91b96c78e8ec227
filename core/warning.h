// Warnings: a fault lrid recovered from (a corrupt checkpoint set aside, a torn
// stream record dropped) is one line on stderr, "lrid: warning: ...", beside the
// one-line errors that main prints for the faults it cannot recover from.
#pragma once
#include <cstdio>
#include <string>

namespace lrid {

inline void warn(const std::string& message) { std::fprintf(stderr, "lrid: warning: %s\n", message.c_str()); }

}  // namespace lrid

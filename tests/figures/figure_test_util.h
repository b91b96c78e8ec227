// Helpers of the figure tests (and the report's): counting what a figure drew.
#pragma once
#include <string>

namespace lrid::test {

// Occurrences of `what` in `s` (overlapping ones too): e.g. class="bar" per bar drawn.
inline int count_of(const std::string& s, const std::string& what) {
  int n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace lrid::test

// Derived random streams: every seed lrid uses beyond the configured ones
// (data order, augmentation, per-step dropout, feedback kernels) is mixed from
// them with splitmix64, so streams are independent and reproducible.
#pragma once
#include <cstdint>

namespace lrid {

// The splitmix64 finaliser of x + golden gamma (Steele et al. 2014).
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Order-sensitive combination: mix_seed(h, v) != mix_seed(v, h), and nearby inputs scatter.
inline uint64_t mix_seed(uint64_t h, uint64_t v) { return splitmix64(h ^ splitmix64(v)); }

}  // namespace lrid

// The cochleagram front end: a bank of half-cosine band filters equally spaced
// on the ERB scale, Hilbert envelopes of the subbands, Hann-window downsampling
// and power compression. It follows pycochleagram's make_erb_cos_filters_nx
// (sample_factor 1), as the paper's cochleagram code uses it, without its
// low-pass and high-pass edge filters. Computed with LibTorch's FFT on the
// device of the input (CPU or GPU), in float32.
//
// Definition (n = num_filters, sr = sample_rate, N samples, D = sr / envelope_rate):
//   ERB number (Glasberg & Moore): erb(f) = 9.265 ln(1 + f / (24.7 * 9.265)),
//     inverse f(e) = 24.7 * 9.265 (exp(e / 9.265) - 1).
//   Cutoffs c_0..c_{n+1}: n + 2 frequencies equally spaced on the ERB scale from
//     erb(low_hz) to erb(high_hz). Filter k (0..n-1) spans (c_k, c_{k+2}); on the
//     rfft grid f_j = j sr / N (j = 0..N/2) it is
//       H_k[j] = cos(pi (erb(f_j) - (erb(c_k) + erb(c_{k+2})) / 2) / (erb(c_{k+2}) - erb(c_k)))
//     for c_k < f_j < c_{k+2}, else 0: a half-cosine on the ERB axis whose
//     neighbours overlap by half, so their squares sum to 1 between c_1 and c_n.
//     Its centre frequency is c_{k+1}.
//   Subbands: X = rfft(x); S_k = ifft of the length-N spectrum a_j H_k[j] X[j]
//     (j <= N/2; a_0 = 1, a_{N/2} = 1 for even N, else a_j = 2) with zero
//     negative frequencies: the analytic signal. Envelope e_k[t] = |S_k[t]|.
//   Downsampling: d_k[m] = sum_{i=0..2D} w[i] e_k[mD + i - D], m = 0..N/D-1, e = 0
//     outside 0..N-1, with the Hann window w[i] = 0.5 - 0.5 cos(2 pi (i+1) / (2D+2))
//     normalised to sum 1 (no zero end taps).
//   Compression: c_k[m] = max(d_k[m], floor) ^ power; silence gives floor^power.
// tests/audio/cochleagram_reference.py implements the same definition in NumPy.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace lrid {

struct CochleagramOptions {
  int64_t sample_rate = 20000;  // Hz, of the input waveform
  int64_t num_filters = 50;     // band filters between low_hz and high_hz
  double low_hz = 20, high_hz = 8000;  // 0 <= low_hz < high_hz <= sample_rate / 2
  int64_t envelope_rate = 200;  // Hz; sample_rate must be a multiple of it
  double power = 0.3;           // compression exponent, > 0
  double floor = 1e-8;          // > 0; envelopes are clipped below at this before compression

  void validate() const;  // throws ConfigError naming the first invalid field and its value
};

// The band filters H_k for a signal of num_samples (> 0) samples: float64 CPU
// [num_filters, num_samples / 2 + 1] on the rfft frequency grid.
torch::Tensor erb_cos_filters(int64_t num_samples, const CochleagramOptions& o);

// The centre frequency of each filter, c_1..c_n, in Hz: [num_filters].
std::vector<double> filter_centre_hz(const CochleagramOptions& o);

// waveform: float32 [N] or [B, N] on any device, N > 0 a multiple of
// sample_rate / envelope_rate. Returns float32 [B, num_filters, N / (sample_rate /
// envelope_rate)] on the same device (B = 1 for a [N] input), without an
// autograd graph (a fixed front end). On the CPU, slices of (waveforms, filters)
// run in parallel on LibTorch's intra-op threads. The filterbank and window are
// cached per (N, filter options, device), thread-safely.
torch::Tensor cochleagram(const torch::Tensor& waveform, const CochleagramOptions& o);

}  // namespace lrid

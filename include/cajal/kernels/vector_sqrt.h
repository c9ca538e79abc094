#pragma once
// Square roots of a block of values in SIMD registers. With errno-setting math (the default),
// GCC turns every std::sqrt into a scalar sqrt plus a branch to libm for negative input, which
// stops the loop around it from vectorizing; the optimize attribute does not lift that for
// builtins. IEEE square roots are correctly rounded in every instruction set, so these give the
// same bits as std::sqrt (NaN for negative input, as std::sqrt) wherever an element sits.
// (The masked AVX-512 forms: the unmasked ones trip a -Wuninitialized false positive in GCC 12.)
#if defined(__AVX512F__) || defined(__AVX__) || defined(__SSE2__)
#include <immintrin.h>
#endif

#include <cmath>
#include <cstdint>

namespace cajal::kernels {

// out[i] = sqrt(x[i]) for i < n; out may be x.
inline void sqrt_into(const float* x, float* out, int64_t n) {
  int64_t i = 0;
#if defined(__AVX512F__)
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(out + i, _mm512_maskz_sqrt_ps(0xFFFF, _mm512_loadu_ps(x + i)));
#endif
#if defined(__AVX__)
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
#endif
#if defined(__SSE2__)
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(out + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) out[i] = std::sqrt(x[i]);
}

inline void sqrt_into(const double* x, double* out, int64_t n) {
  int64_t i = 0;
#if defined(__AVX512F__)
  for (; i + 8 <= n; i += 8)
    _mm512_storeu_pd(out + i, _mm512_maskz_sqrt_pd(0xFF, _mm512_loadu_pd(x + i)));
#endif
#if defined(__AVX__)
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(out + i, _mm256_sqrt_pd(_mm256_loadu_pd(x + i)));
#endif
#if defined(__SSE2__)
  for (; i + 2 <= n; i += 2) _mm_storeu_pd(out + i, _mm_sqrt_pd(_mm_loadu_pd(x + i)));
#endif
  for (; i < n; ++i) out[i] = std::sqrt(x[i]);
}

}  // namespace cajal::kernels

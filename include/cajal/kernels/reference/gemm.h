#pragma once
// The specification of gemm (see kernels/gemm.h): three plain loops, obviously right.
#include <cstdint>

namespace cajal::kernels::reference {

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        T av = trans_a ? a[p * lda + i] : a[i * lda + p];
        T bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        acc += static_cast<double>(av) * static_cast<double>(bv);
      }
      T prior = beta == T(0) ? T(0) : beta * c[i * ldc + j];  // beta 0 ignores NaN in C
      c[i * ldc + j] = static_cast<T>(alpha * acc) + prior;
    }
  }
}

}  // namespace cajal::kernels::reference

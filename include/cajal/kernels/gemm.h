#pragma once
// General matrix multiply on row-major matrices:
//   C[M, N] = alpha * op(A) * op(B) + beta * C
// where op(A) is A [M, K] (or A^T when trans_a, A stored [K, M]), op(B) is B [K, N] (or B^T when
// trans_b, B stored [N, K]); lda/ldb/ldc are row strides in elements and must be at least the
// stored row length (lda >= max(1, trans_a ? M : K), ldb >= max(1, trans_b ? K : N),
// ldc >= max(1, N)). beta == 0 overwrites C, ignoring whatever (even NaN) was there.
// float runs on oneDNN's sgemm; double on row-parallel loops. Both use the one OpenMP pool, and
// run single-threaded when called from inside a parallel region.
#include <cstdint>

namespace cajal::kernels {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
          int64_t ldc);

}  // namespace cajal::kernels

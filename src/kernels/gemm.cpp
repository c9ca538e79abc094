#include "cajal/kernels/gemm.h"

#include <dnnl.h>

#include <string>
#include <vector>

#include "cajal/core/error.h"

namespace cajal::kernels {

namespace {

// beta == 0 overwrites C (NaN or garbage there must not leak into the result), as BLAS does.
template <typename T>
void scale_rows(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0)) {
      for (int64_t j = 0; j < n; ++j) row[j] = T(0);
    } else if (beta != T(1)) {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

// Below this many multiply-adds a plain loop beats dnnl_sgemm, whose fixed cost per call
// (argument checks, scratch allocation, ITT instrumentation) is ~1 us: tiny networks make
// several such products per step. Measured with `cajal bench tiny` (see docs/performance.md).
constexpr int64_t kSmallProduct = 32 * 32 * 32;
// op(B) (k x n) and one output row live on the stack.
constexpr int64_t kSmallPanel = 4096;
constexpr int64_t kNarrow = 16;
// One row of a narrow C; GCC keeps it in a vector register (one zmm with AVX-512).
using Lanes = float __attribute__((vector_size(kNarrow * sizeof(float))));

// C = alpha * op(A) op(B) + beta * C, single-threaded. Every output sums its k products in
// order p = 0..k-1 in a loop chosen by the sizes alone, whatever the transpositions (op(B) is
// packed first when it has to be), so the result does not depend on layout or thread count.
void small_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                int64_t ldc) {
  const int64_t a_row_step = trans_a ? 1 : lda, a_col_step = trans_a ? lda : 1;
  if (n <= kNarrow) {
    // Narrow outputs (small layers' rows): op(B) zero-padded to kNarrow columns so a row of C
    // accumulates in one vector register.
    Lanes panel[kSmallPanel / kNarrow];
    for (int64_t p = 0; p < k; ++p) {
      Lanes& bp = panel[p];
      bp = Lanes{};
      if (trans_b) {
        for (int64_t j = 0; j < n; ++j) bp[j] = b[j * ldb + p];
      } else {
        for (int64_t j = 0; j < n; ++j) bp[j] = b[p * ldb + j];
      }
    }
    for (int64_t i = 0; i < m; ++i) {
      Lanes row{};
      for (int64_t p = 0; p < k; ++p) row += a[i * a_row_step + p * a_col_step] * panel[p];
      float* ci = c + i * ldc;
      if (beta == 0.0f) {
        for (int64_t j = 0; j < n; ++j) ci[j] = alpha * row[j];
      } else {
        for (int64_t j = 0; j < n; ++j) ci[j] = alpha * row[j] + beta * ci[j];
      }
    }
    return;
  }
  float packed[kSmallPanel];
  float acc[kSmallPanel];
  if (trans_b) {
    for (int64_t p = 0; p < k; ++p) {
      for (int64_t j = 0; j < n; ++j) packed[p * n + j] = b[j * ldb + p];
    }
    b = packed;
    ldb = n;
  }
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) acc[j] = 0.0f;
    for (int64_t p = 0; p < k; ++p) {
      const float aip = a[i * a_row_step + p * a_col_step];
      const float* bp = b + p * ldb;
      for (int64_t j = 0; j < n; ++j) acc[j] += aip * bp[j];
    }
    float* ci = c + i * ldc;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < n; ++j) ci[j] = alpha * acc[j];
    } else {
      for (int64_t j = 0; j < n; ++j) ci[j] = alpha * acc[j] + beta * ci[j];
    }
  }
}

}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // oneDNN rejects K = 0; the product is empty
    scale_rows(m, n, beta, c, ldc);
    return;
  }
  if (m * n * k <= kSmallProduct && n * k <= kSmallPanel && k * kNarrow <= kSmallPanel) {
    small_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  dnnl_status_t status = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a,
                                    lda, b, ldb, beta, c, ldc);
  if (status != dnnl_success) {
    throw Error("gemm: oneDNN sgemm failed with status " + std::to_string(status) +
                " (m=" + std::to_string(m) + ", n=" + std::to_string(n) +
                ", k=" + std::to_string(k) + ", lda=" + std::to_string(lda) +
                ", ldb=" + std::to_string(ldb) + ", ldc=" + std::to_string(ldc) + ")");
  }
}

// float64 serves gradient checks and users who ask for double precision; oneDNN has no dgemm.
// Rows of C are independent, so they split across the OpenMP pool; within a row the inner loop
// runs over contiguous memory (a row of B, or a row of B^T as a dot product) so it vectorizes.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
          int64_t ldc) {
  if (m == 0 || n == 0) return;
  bool parallel = m > 1 && m * n * k >= (int64_t{1} << 15);
#pragma omp parallel if (parallel)
  {
    std::vector<double> a_row(trans_a ? k : 0);  // row i of op(A), gathered from a column of A
#pragma omp for schedule(static)
    for (int64_t i = 0; i < m; ++i) {
      const double* ai = a + i * lda;
      if (trans_a) {
        for (int64_t p = 0; p < k; ++p) a_row[p] = a[p * lda + i];
        ai = a_row.data();
      }
      double* ci = c + i * ldc;
      scale_rows(1, n, beta, ci, ldc);
      if (trans_b) {
        for (int64_t j = 0; j < n; ++j) {
          const double* bj = b + j * ldb;
          double acc = 0;
          for (int64_t p = 0; p < k; ++p) acc += ai[p] * bj[p];
          ci[j] += alpha * acc;
        }
      } else {
        for (int64_t p = 0; p < k; ++p) {
          const double scaled = alpha * ai[p];
          const double* bp = b + p * ldb;
          for (int64_t j = 0; j < n; ++j) ci[j] += scaled * bp[j];
        }
      }
    }
  }
}

}  // namespace cajal::kernels

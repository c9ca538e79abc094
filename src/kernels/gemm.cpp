#include "cajal/kernels/gemm.h"

#include <dnnl.h>

#include <string>

#include "cajal/core/error.h"
#include "cajal/kernels/reference/gemm.h"

namespace cajal::kernels {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // oneDNN rejects K = 0; the product is empty
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
    }
    return;
  }
  dnnl_status_t status = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a,
                                    lda, b, ldb, beta, c, ldc);
  if (status != dnnl_success) {
    throw Error("gemm: oneDNN sgemm failed with status " + std::to_string(status) + " (m=" +
                std::to_string(m) + ", n=" + std::to_string(n) + ", k=" + std::to_string(k) + ")");
  }
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
          int64_t ldc) {
  // float64 serves gradient checks on small shapes: the reference loops are fast enough.
  reference::gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace cajal::kernels

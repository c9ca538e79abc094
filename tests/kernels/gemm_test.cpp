// kernels::gemm (oneDNN sgemm for float, row-parallel loops for double) against the reference
// loops: odd sizes, all four transpositions, alpha/beta, padded leading dimensions.
#include "cajal/kernels/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "cajal/core/threads.h"
#include "cajal/kernels/reference/gemm.h"

namespace cajal::kernels {
namespace {

template <typename T>
std::vector<T> random_values(size_t count, std::mt19937& rng) {
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<T> v(count);
  for (T& x : v) x = static_cast<T>(dist(rng));
  return v;
}

struct Case {
  bool trans_a, trans_b;
  int64_t m, n, k;
  double alpha, beta;
  int64_t pad;  // extra elements at the end of each stored row (leading dim > row length)
};

std::string describe(const Case& c) {
  return "trans_a=" + std::to_string(c.trans_a) + " trans_b=" + std::to_string(c.trans_b) +
         " m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) + " k=" + std::to_string(c.k) +
         " alpha=" + std::to_string(c.alpha) + " beta=" + std::to_string(c.beta) +
         " pad=" + std::to_string(c.pad);
}

// Runs the fast path and the reference on the same data; returns the worst error relative to
// the tolerance (<= 1 passes). Tolerance scales with k: each output sums k products of values
// in [-1, 1].
template <typename T>
double worst_error(const Case& c, std::mt19937& rng, double rel) {
  const int64_t a_rows = c.trans_a ? c.k : c.m, a_cols = c.trans_a ? c.m : c.k;
  const int64_t b_rows = c.trans_b ? c.n : c.k, b_cols = c.trans_b ? c.k : c.n;
  const int64_t lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.n + c.pad;
  std::vector<T> a = random_values<T>(a_rows * lda, rng);
  std::vector<T> b = random_values<T>(b_rows * ldb, rng);
  std::vector<T> c0 = random_values<T>(c.m * ldc, rng);
  std::vector<T> fast = c0, expected = c0;
  gemm(c.trans_a, c.trans_b, c.m, c.n, c.k, static_cast<T>(c.alpha), a.data(),
       std::max<int64_t>(lda, 1), b.data(), std::max<int64_t>(ldb, 1), static_cast<T>(c.beta),
       fast.data(), std::max<int64_t>(ldc, 1));
  reference::gemm<T>(c.trans_a, c.trans_b, c.m, c.n, c.k, static_cast<T>(c.alpha), a.data(),
                     std::max<int64_t>(lda, 1), b.data(), std::max<int64_t>(ldb, 1),
                     static_cast<T>(c.beta), expected.data(), std::max<int64_t>(ldc, 1));
  double worst = 0;
  const double tol = rel * (static_cast<double>(c.k) + 1) * (std::abs(c.alpha) + 1);
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      double got = fast[i * ldc + j], want = expected[i * ldc + j];
      if (j >= c.n) {  // padding past the row must be left alone
        if (got != static_cast<double>(c0[i * ldc + j]))
          return std::numeric_limits<double>::infinity();
        continue;
      }
      worst = std::max(worst, std::abs(got - want) / tol);
    }
  }
  return worst;
}

std::vector<Case> cases() {
  std::vector<Case> out;
  const int64_t sizes[] = {1, 3, 17, 33, 65, 127};
  const double alphas[] = {1.0, -0.5, 2.0};
  const double betas[] = {0.0, 1.0, 0.25};
  int which = 0;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (int64_t m : sizes) {
        for (int64_t n : sizes) {
          // k walks the sizes too, offset so every (m, n) pair sees different k, alpha, beta.
          int64_t k = sizes[(which + m + n) % 6];
          out.push_back({ta, tb, m, n, k, alphas[which % 3], betas[(which / 3) % 3], which % 4});
          ++which;
        }
      }
    }
  }
  return out;
}

TEST(Gemm, FloatMatchesReference) {
  std::mt19937 rng(1);
  for (const Case& c : cases()) {
    EXPECT_LE(worst_error<float>(c, rng, 1e-6), 1.0) << describe(c);
  }
}

TEST(Gemm, DoubleMatchesReference) {
  std::mt19937 rng(2);
  for (const Case& c : cases()) {
    EXPECT_LE(worst_error<double>(c, rng, 1e-14), 1.0) << describe(c);
  }
}

TEST(Gemm, LargeShapesMatchReferenceWithOneAndTwoThreads) {
  // Big enough that oneDNN and the double loops split the work across threads.
  int saved = get_num_threads();
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    std::mt19937 rng(3);
    for (const Case& c :
         {Case{false, false, 200, 130, 257, 1.0, 0.0, 5},
          Case{true, true, 129, 211, 190, 0.5, 1.0, 0}, Case{true, false, 300, 64, 96, 1.0, 0.5, 3},
          Case{false, true, 64, 300, 513, -1.0, 0.0, 1}}) {
      EXPECT_LE(worst_error<float>(c, rng, 1e-6), 1.0) << describe(c) << " threads=" << threads;
      EXPECT_LE(worst_error<double>(c, rng, 1e-14), 1.0) << describe(c) << " threads=" << threads;
    }
  }
  set_num_threads(saved);
}

TEST(Gemm, SmallProductsMatchReferenceAroundTheDirectLoopThreshold) {
  // Small float products skip oneDNN for a direct loop (narrow outputs in one vector register);
  // sizes straddle both the narrow width (16) and the size threshold (32^3 multiply-adds).
  std::mt19937 rng(4);
  for (int64_t m : {1, 2, 10, 31, 33}) {
    for (int64_t n : {1, 8, 15, 16, 17, 32, 33}) {
      for (int64_t k : {1, 2, 10, 32, 33, 300}) {
        for (bool ta : {false, true}) {
          for (bool tb : {false, true}) {
            Case c{ta, tb, m, n, k, (m + n) % 2 ? 1.0 : -0.5, k % 2 ? 0.0 : 0.25, (m + k) % 3};
            EXPECT_LE(worst_error<float>(c, rng, 1e-6), 1.0) << describe(c);
          }
        }
      }
    }
  }
}

// The same product read through every transposition, and with one or two threads, gives the
// same bits: layers rely on this for layout- and thread-independent results.
TEST(Gemm, SmallProductsAreLayoutAndThreadIndependent) {
  int saved = get_num_threads();
  std::mt19937 rng(5);
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{10, 8, 2},
                         {8, 2, 10},
                         {10, 1, 8},
                         {7, 13, 11},
                         {5, 40, 19},
                         {33, 33, 29}}) {
    std::vector<float> a = random_values<float>(m * k, rng), b = random_values<float>(k * n, rng);
    std::vector<float> at(k * m), bt(n * k);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t p = 0; p < k; ++p) at[p * m + i] = a[i * k + p];
    }
    for (int64_t p = 0; p < k; ++p) {
      for (int64_t j = 0; j < n; ++j) bt[j * k + p] = b[p * n + j];
    }
    std::vector<float> first;
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      for (bool ta : {false, true}) {
        for (bool tb : {false, true}) {
          std::vector<float> c(m * n);
          gemm(ta, tb, m, n, k, 1.0f, ta ? at.data() : a.data(), ta ? m : k,
               tb ? bt.data() : b.data(), tb ? k : n, 0.0f, c.data(), n);
          if (first.empty()) first = c;
          EXPECT_EQ(c, first) << "m=" << m << " n=" << n << " k=" << k << " trans_a=" << ta
                              << " trans_b=" << tb << " threads=" << threads;
        }
      }
    }
  }
  set_num_threads(saved);
}

template <typename T>
void check_beta_zero_ignores_nan() {
  const T nan = std::numeric_limits<T>::quiet_NaN();
  std::vector<T> a = {1, 2, 3, 4, 5, 6};  // [2, 3]
  std::vector<T> b = {1, 0, 0, 1, 1, 1};  // [3, 2]
  std::vector<T> c(4, nan);
  gemm(false, false, 2, 2, 3, T(1), a.data(), 3, b.data(), 2, T(0), c.data(), 2);
  EXPECT_EQ(c, (std::vector<T>{4, 5, 10, 11}));
}

TEST(Gemm, BetaZeroOverwritesNaN) {
  check_beta_zero_ignores_nan<float>();
  check_beta_zero_ignores_nan<double>();
}

template <typename T>
void check_empty_k() {
  std::vector<T> c = {1, 2, 3, 4};
  gemm(false, false, 2, 2, 0, T(1), nullptr, 1, nullptr, 2, T(0.5), c.data(), 2);
  EXPECT_EQ(c, (std::vector<T>{0.5, 1, 1.5, 2}));
  std::vector<T> d(4, std::numeric_limits<T>::quiet_NaN());
  gemm(true, true, 2, 2, 0, T(1), nullptr, 2, nullptr, 1, T(0), d.data(), 2);
  EXPECT_EQ(d, (std::vector<T>(4, T(0))));
  // M or N of 0: nothing to write, nothing read.
  gemm(false, false, 0, 2, 3, T(1), nullptr, 3, nullptr, 2, T(0), nullptr, 2);
  gemm(false, false, 2, 0, 3, T(1), nullptr, 3, nullptr, 1, T(0), nullptr, 1);
}

TEST(Gemm, EmptyDimensions) {
  check_empty_k<float>();
  check_empty_k<double>();
}

TEST(Gemm, ReferenceIsTheDefinition) {
  // [[1, 2], [3, 4]]^T x [[5, 6], [7, 8]] = [[26, 30], [38, 44]]; times 2, plus 1 * C.
  std::vector<double> a = {1, 2, 3, 4}, b = {5, 6, 7, 8}, c = {1, 1, 1, 1};
  reference::gemm<double>(true, false, 2, 2, 2, 2.0, a.data(), 2, b.data(), 2, 1.0, c.data(), 2);
  EXPECT_EQ(c, (std::vector<double>{53, 61, 77, 89}));
}

}  // namespace
}  // namespace cajal::kernels

#include "cajal/kernels/reduce.h"

#include <gtest/gtest.h>

#include "cajal/cajal.h"

namespace cajal {
namespace {

// A sum through the generic kernel (sum itself has fast paths of its own).
Tensor kernel_sum(const Tensor& x, const std::vector<bool>& reduce, const Shape& out_shape) {
  Tensor out = empty(out_shape, Dtype::float64);
  kernels::reduce<double, double>(
      x, reduce, out, 0.0, [](double acc, double v, int64_t) { return acc + v; },
      [](double a, double b) { return a + b; }, [](double acc) { return acc; });
  return out;
}

TEST(ReduceKernel, EmptyReducedDimsGiveTheInitialValue) {
  Tensor x = zeros({2, 0}, {.dtype = Dtype::float64});
  Tensor out = kernel_sum(x, {false, true}, {2});
  EXPECT_EQ(to_vector<double>(out), (std::vector<double>{0, 0}));
  Tensor none = kernel_sum(zeros({0, 3}, {.dtype = Dtype::float64}), {true, false}, {3});
  EXPECT_EQ(to_vector<double>(none), (std::vector<double>{0, 0, 0}));
}

TEST(ReduceKernel, IndicesFollowRowMajorOrderOfTheReducedDims) {
  // argmax over dims {0, 2} of a [2, 3, 4] tensor, through the index the kernel passes.
  Tensor x = arange(24, {.dtype = Dtype::float64}).reshape({2, 3, 4});
  Tensor out = empty({3}, Dtype::int64);
  using Best = std::pair<double, int64_t>;
  kernels::reduce<int64_t, double>(
      x, {true, false, true}, out, Best{-1e300, -1},
      [](Best b, double v, int64_t i) {
        return v > b.first ? Best{v, i} : b;
      },
      [](Best a, Best b) { return b.first > a.first ? b : a; }, [](Best b) { return b.second; });
  // The largest element of each middle slice is at reduced position (1, 3) -> 1 * 4 + 3 = 7.
  EXPECT_EQ(to_vector<int64_t>(out), (std::vector<int64_t>{7, 7, 7}));
}

TEST(ReduceKernel, OneOutputOverAContiguousTensorIsSplitAcrossThreadsDeterministically) {
  manual_seed(3);
  Tensor x = randn({1 << 20}, {.dtype = Dtype::float64});
  int before = get_num_threads();
  set_num_threads(1);
  double one = kernel_sum(x, {true}, {}).item();
  set_num_threads(2);
  double two = kernel_sum(x, {true}, {}).item();
  double again = kernel_sum(x, {true}, {}).item();
  set_num_threads(before);
  EXPECT_NEAR(one, two, 1e-9 * std::abs(one) + 1e-9);
  EXPECT_EQ(two, again);
  // Also through a strided view whose rows do not collapse.
  Tensor y = x.reshape({1024, 1024}).transpose(0, 1);
  EXPECT_NEAR(kernel_sum(y, {true, true}, {}).item(), one, 1e-9 * std::abs(one) + 1e-9);
}

}  // namespace
}  // namespace cajal

// The fused LSTM cell kernels (kernels/recurrent_cell.h) against the cell written in generic ops
// (sigmoid, tanh, mul, add and autograd for the backward): float64 to 1e-12, float32 to a few
// ulp, odd sizes (H = 1, primes, a full 16-lane block plus a tail), non-contiguous gates, an
// absent c_prev, padded rows, and independence of the thread count.
#include "cajal/kernels/recurrent_cell.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/core/threads.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::tensors_close;

struct Reference {
  Tensor h, c;
};

// The composite definition (what nn::LSTMCell computed before the fused kernels).
Reference composite_cell(const Tensor& gates, const Tensor& c_prev) {
  std::vector<Tensor> g = chunk(gates, 4, 1);
  Tensor c = sigmoid(g[1]) * c_prev + sigmoid(g[0]) * tanh(g[2]);
  return {sigmoid(g[3]) * tanh(c), c};
}

double tolerance(Dtype dtype) { return dtype == Dtype::float64 ? 1e-12 : 2e-6; }

class LstmCellKernel : public ::testing::TestWithParam<Dtype> {};

TEST_P(LstmCellKernel, ForwardAndBackwardMatchTheComposite) {
  const Dtype dtype = GetParam();
  const double tol = tolerance(dtype);
  manual_seed(3);
  for (int64_t n : {1, 2, 7}) {
    for (int64_t h : {1, 3, 16, 17, 37}) {
      for (bool transposed : {false, true}) {
        SCOPED_TRACE("n=" + std::to_string(n) + " h=" + std::to_string(h) +
                     (transposed ? " transposed" : ""));
        // Gates as a transposed view: a non-contiguous input.
        Tensor gates = transposed ? (randn({4 * h, n}, {.dtype = dtype}) * 2).transpose(0, 1)
                                  : randn({n, 4 * h}, {.dtype = dtype}) * 2;
        Tensor c_prev = randn({n, h}, {.dtype = dtype});
        kernels::LstmCellForward fused = kernels::lstm_cell_forward(gates, c_prev);

        Tensor g = gates.detach().requires_grad_(true);
        Tensor cp = c_prev.detach().requires_grad_(true);
        Reference ref = composite_cell(g, cp);
        EXPECT_TRUE(tensors_close(fused.h, ref.h, tol, tol));
        EXPECT_TRUE(tensors_close(fused.c, ref.c, tol, tol));
        EXPECT_TRUE(tensors_close(fused.tanh_c, tanh(ref.c).detach(), tol, tol));

        Tensor dh = randn({n, h}, {.dtype = dtype});
        Tensor dc = randn({n, h}, {.dtype = dtype});
        std::vector<Tensor> expected = autograd::grad({ref.h, ref.c}, {g, cp}, {dh, dc});
        kernels::LstmCellGrads grads = kernels::lstm_cell_backward(dh, dc, c_prev, fused);
        EXPECT_TRUE(tensors_close(grads.gates, expected[0], tol, tol));
        EXPECT_TRUE(tensors_close(grads.c_prev, expected[1], tol, tol));
      }
    }
  }
}

TEST_P(LstmCellKernel, AbsentCellStateAndGradientsAreZeros) {
  const Dtype dtype = GetParam();
  const double tol = tolerance(dtype);
  manual_seed(4);
  Tensor gates = randn({5, 4 * 19}, {.dtype = dtype});
  Tensor zero = zeros({5, 19}, {.dtype = dtype});
  kernels::LstmCellForward absent = kernels::lstm_cell_forward(gates, Tensor());
  kernels::LstmCellForward given = kernels::lstm_cell_forward(gates, zero);
  EXPECT_TRUE(equal(absent.h, given.h));
  EXPECT_TRUE(equal(absent.c, given.c));
  Tensor dh = randn({5, 19}, {.dtype = dtype});
  kernels::LstmCellGrads a = kernels::lstm_cell_backward(dh, Tensor(), Tensor(), absent);
  kernels::LstmCellGrads b = kernels::lstm_cell_backward(dh, zero, zero, given);
  EXPECT_TRUE(tensors_close(a.gates, b.gates, tol, tol));
  EXPECT_TRUE(tensors_close(a.c_prev, b.c_prev, tol, tol));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, LstmCellKernel, ::testing::Values(Dtype::float32, Dtype::float64));

// Padded rows keep their state, get zero activations and pass dc through; real rows are as
// without padding.
TEST(LstmCellKernelRaw, PaddedRowsKeepTheirState) {
  const int64_t n = 3, h = 21;
  manual_seed(5);
  Tensor gates_x = randn({n, 4 * h}, {.dtype = Dtype::float64});
  Tensor bias = randn({4 * h}, {.dtype = Dtype::float64});
  Tensor hidden = randn({n, 4 * h}, {.dtype = Dtype::float64});
  Tensor c_prev = randn({n, h}, {.dtype = Dtype::float64});
  Tensor h_prev = randn({n, h}, {.dtype = Dtype::float64});
  const uint8_t real[n] = {1, 0, 1};
  Tensor act = hidden.clone();
  Tensor c = empty({n, h}, Dtype::float64), tc = empty({n, h}, Dtype::float64),
         hn = empty({n, h}, Dtype::float64);
  kernels::lstm_cell_forward<double>(
      n, h, gates_x.data_ptr<double>(), 4 * h, bias.data_ptr<double>(), act.data_ptr<double>(),
      4 * h, c_prev.data_ptr<double>(), h_prev.data_ptr<double>(), real, c.data_ptr<double>(),
      tc.data_ptr<double>(), hn.data_ptr<double>());
  Reference ref = composite_cell(gates_x + hidden + bias, c_prev);
  for (int64_t r : {0, 2}) {
    EXPECT_TRUE(tensors_close(hn.select(0, r), ref.h.select(0, r), 1e-12, 1e-12));
    EXPECT_TRUE(tensors_close(c.select(0, r), ref.c.select(0, r), 1e-12, 1e-12));
  }
  EXPECT_TRUE(equal(hn.select(0, 1), h_prev.select(0, 1)));
  EXPECT_TRUE(equal(c.select(0, 1), c_prev.select(0, 1)));

  Tensor dh = randn({n, h}, {.dtype = Dtype::float64});
  Tensor dc = randn({n, h}, {.dtype = Dtype::float64});
  Tensor d_gates = empty({n, 4 * h}, Dtype::float64), d_c = empty({n, h}, Dtype::float64);
  kernels::lstm_cell_backward<double>(n, h, dh.data_ptr<double>(), dc.data_ptr<double>(),
                                      act.data_ptr<double>(), 4 * h, tc.data_ptr<double>(),
                                      c_prev.data_ptr<double>(), real, d_gates.data_ptr<double>(),
                                      4 * h, d_c.data_ptr<double>());
  EXPECT_TRUE(equal(d_gates.select(0, 1), zeros({4 * h}, {.dtype = Dtype::float64})));
  EXPECT_TRUE(equal(d_c.select(0, 1), dc.select(0, 1)));
  Tensor g = (gates_x + hidden + bias).requires_grad_(true);
  Tensor cp = c_prev.clone().requires_grad_(true);
  Reference graph = composite_cell(g, cp);
  std::vector<Tensor> expected = autograd::grad({graph.h, graph.c}, {g, cp}, {dh, dc});
  for (int64_t r : {0, 2}) {
    EXPECT_TRUE(tensors_close(d_gates.select(0, r), expected[0].select(0, r), 1e-12, 1e-12));
    EXPECT_TRUE(tensors_close(d_c.select(0, r), expected[1].select(0, r), 1e-12, 1e-12));
  }
}

// Rows are split across threads only when there is enough work; each element is computed by the
// same code either way, so the results are bit-for-bit the same.
TEST(LstmCellKernelRaw, ResultsDoNotDependOnTheThreadCount) {
  manual_seed(6);
  Tensor gates = randn({70, 4 * 130});
  Tensor c_prev = randn({70, 130});
  Tensor dh = randn({70, 130}), dc = randn({70, 130});
  const int before = get_num_threads();
  set_num_threads(1);
  kernels::LstmCellForward one = kernels::lstm_cell_forward(gates, c_prev);
  kernels::LstmCellGrads one_grads = kernels::lstm_cell_backward(dh, dc, c_prev, one);
  set_num_threads(2);
  kernels::LstmCellForward two = kernels::lstm_cell_forward(gates, c_prev);
  kernels::LstmCellGrads two_grads = kernels::lstm_cell_backward(dh, dc, c_prev, two);
  set_num_threads(before);
  EXPECT_TRUE(equal(one.h, two.h));
  EXPECT_TRUE(equal(one.c, two.c));
  EXPECT_TRUE(equal(one_grads.gates, two_grads.gates));
  EXPECT_TRUE(equal(one_grads.c_prev, two_grads.c_prev));
}

TEST(LstmCellKernelErrors, BadShapes) {
  EXPECT_THROW(kernels::lstm_cell_forward(randn({2, 6}), Tensor()), ShapeError);
  EXPECT_THROW(kernels::lstm_cell_forward(randn({2, 8}), randn({2, 3})), ShapeError);
  EXPECT_THROW(kernels::lstm_cell_forward(randn({8}), Tensor()), ShapeError);
}

}  // namespace
}  // namespace cajal

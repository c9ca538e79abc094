// The fused optimizer steps (kernels::adam_step, kernels::sgd_step, taken by optim::Adam, AdamW
// and SGD for contiguous float32/float64 parameters) against the composite updates they replace
// (detail::adam_update_composite, detail::sgd_update_composite): 25-step trajectories with
// random gradients, every option, odd sizes (1, primes, one large enough to run in parallel),
// both dtypes; plus the fallback for layouts the fused path does not take, and the state dict.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/creation.h"
#include "cajal/core/random.h"
#include "cajal/core/threads.h"
#include "cajal/kernels/optimizer_step.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/view.h"
#include "cajal/optim/adam.h"
#include "cajal/optim/adamw.h"
#include "cajal/optim/sgd.h"
#include "support/golden.h"

// Counts heap allocations while `counting` is set, by interposing glibc's entry points (the
// executable's definitions win over libc's). AddressSanitizer interposes them itself, so under
// it nothing is counted and the allocation test is skipped.
namespace {
bool counting = false;
long allocations = 0;
}  // namespace
#if !defined(__SANITIZE_ADDRESS__)
extern "C" void* __libc_malloc(size_t size);
extern "C" void* __libc_memalign(size_t alignment, size_t size);
extern "C" void* malloc(size_t size) {
  if (counting) ++allocations;
  return __libc_malloc(size);
}
extern "C" void* aligned_alloc(size_t alignment, size_t size) {
  if (counting) ++allocations;
  return __libc_memalign(alignment, size);
}
#endif

namespace cajal {
namespace {

using testing::tensors_close;

constexpr int kSteps = 25;

// Sizes: a single element, primes around the 64-element block, and (for the variants with every
// option on and off) one above the parallel grain.
const std::vector<Shape> kShapes{{1}, {7}, {13, 5}, {131}, {3, 67}};
const Shape kLarge{40009};
std::vector<Shape> all_shapes() {
  std::vector<Shape> shapes = kShapes;
  shapes.push_back(kLarge);
  return shapes;
}

// The fused and composite paths compute the same expressions in the parameter's dtype; they may
// differ by FMA contraction and the rounding of coefficients, which 25 steps amplify. Adam divides
// by sqrt(v) + eps, so a tiny v magnifies a last-bit difference: compare with a relative
// tolerance well above float32's epsilon.
double rtol(Dtype dtype) { return dtype == Dtype::float32 ? 2e-6 : 1e-13; }
double atol(Dtype dtype) { return dtype == Dtype::float32 ? 1e-6 : 1e-14; }

struct Trajectory {
  std::vector<Tensor> params;  // after each step
  std::vector<Tensor> state;   // the final state tensors
};

// The gradients both paths see: seeded, so the two runs get the same sequence.
std::vector<Tensor> gradients(const Shape& shape, Dtype dtype) {
  manual_seed(1234);
  std::vector<Tensor> out;
  for (int i = 0; i < kSteps; ++i) out.push_back(randn(shape, {.dtype = dtype}));
  return out;
}

Tensor initial_param(const Shape& shape, Dtype dtype) {
  manual_seed(99);
  return randn(shape, {.dtype = dtype});
}

// Fused: through the optimizer (which takes the fused kernel for these layouts).
template <typename Optimizer>
Trajectory run_optimizer(const Shape& shape, Dtype dtype, typename Optimizer::Options options) {
  Tensor p = initial_param(shape, dtype).requires_grad_();
  Optimizer opt({p}, options);
  Trajectory t;
  for (const Tensor& g : gradients(shape, dtype)) {
    p.set_grad(g);
    opt.step();
    t.params.push_back(p.detach().clone());
  }
  StateDict state = opt.state_dict();
  for (const auto& [key, value] : state) {
    if (key.rfind("state.", 0) == 0) t.state.push_back(value);
  }
  return t;
}

Trajectory run_adam_composite(const Shape& shape, Dtype dtype, const optim::AdamOptions& options,
                              bool decoupled) {
  no_grad guard;
  Tensor p = initial_param(shape, dtype);
  Tensor m = zeros(shape, {.dtype = dtype});
  Tensor v = zeros(shape, {.dtype = dtype});
  Tensor vmax = zeros(shape, {.dtype = dtype});
  Trajectory t;
  int step = 0;
  for (const Tensor& g : gradients(shape, dtype)) {
    optim::detail::adam_update_composite(p, g, m, v, options.amsgrad ? vmax : Tensor(), ++step,
                                         options, decoupled);
    t.params.push_back(p.clone());
  }
  t.state = {scalar_tensor(int64_t{step}, Dtype::int64), m, v};
  if (options.amsgrad) t.state.push_back(vmax);
  return t;
}

Trajectory run_sgd_composite(const Shape& shape, Dtype dtype, const optim::SGDOptions& options) {
  no_grad guard;
  Tensor p = initial_param(shape, dtype);
  OrderedDict<Tensor> state;
  Trajectory t;
  for (const Tensor& g : gradients(shape, dtype)) {
    optim::detail::sgd_update_composite(p, g, state, options);
    t.params.push_back(p.clone());
  }
  for (const auto& [key, value] : state) t.state.push_back(value);
  return t;
}

void expect_same(const Trajectory& fused, const Trajectory& reference, Dtype dtype,
                 const std::string& label) {
  ASSERT_EQ(fused.params.size(), reference.params.size()) << label;
  for (size_t i = 0; i < fused.params.size(); ++i) {
    ASSERT_TRUE(tensors_close(fused.params[i], reference.params[i], rtol(dtype), atol(dtype)))
        << label << " step " << i + 1;
  }
  ASSERT_EQ(fused.state.size(), reference.state.size()) << label;
  for (size_t i = 0; i < fused.state.size(); ++i) {
    EXPECT_EQ(fused.state[i].dtype(), reference.state[i].dtype()) << label << " state " << i;
    EXPECT_TRUE(tensors_close(fused.state[i], reference.state[i], rtol(dtype), atol(dtype)))
        << label << " state " << i;
  }
}

std::string describe(const Shape& shape, Dtype dtype) {
  return shape_string(shape) + " " + std::string(dtype_name(dtype));
}

TEST(FusedAdam, MatchesCompositeForEveryOption) {
  for (Dtype dtype : {Dtype::float32, Dtype::float64}) {
    for (const Shape& shape : all_shapes()) {
      for (int variant = 0; variant < 8; ++variant) {
        if (shape == kLarge && variant != 0 && variant != 7) continue;
        optim::AdamOptions o{.lr = 1e-2, .betas = {0.8, 0.95}, .eps = 1e-6};
        o.amsgrad = variant & 1;
        o.maximize = variant & 2;
        o.weight_decay = variant & 4 ? 0.1 : 0.0;
        const std::string label = describe(shape, dtype) + " variant " + std::to_string(variant);
        expect_same(run_optimizer<optim::Adam>(shape, dtype, o),
                    run_adam_composite(shape, dtype, o, false), dtype, "Adam " + label);

        optim::AdamWOptions w{.lr = 1e-2, .betas = {0.8, 0.95}, .eps = 1e-6};
        w.amsgrad = o.amsgrad;
        w.maximize = o.maximize;
        w.weight_decay = variant & 4 ? 0.1 : 0.0;
        expect_same(run_optimizer<optim::AdamW>(shape, dtype, w),
                    run_adam_composite(shape, dtype, o, true), dtype, "AdamW " + label);
      }
    }
  }
}

TEST(FusedSgd, MatchesCompositeForEveryOption) {
  for (Dtype dtype : {Dtype::float32, Dtype::float64}) {
    for (const Shape& shape : all_shapes()) {
      for (int variant = 0; variant < 16; ++variant) {
        if (shape == kLarge && variant != 0 && variant != 15) continue;
        optim::SGDOptions o{.lr = 0.05};
        o.momentum = variant & 1 ? 0.9 : 0.0;
        o.nesterov = (variant & 2) && o.momentum > 0;
        o.dampening = (variant & 4) && !o.nesterov ? 0.3 : 0.0;
        o.weight_decay = variant & 8 ? 0.01 : 0.0;
        o.maximize = variant == 5 || variant == 11;
        const std::string label = describe(shape, dtype) + " variant " + std::to_string(variant);
        expect_same(run_optimizer<optim::SGD>(shape, dtype, o), run_sgd_composite(shape, dtype, o),
                    dtype, "SGD " + label);
      }
    }
  }
}

// Results do not depend on the thread count (each element's arithmetic is the same in every
// split): the large shape, bit for bit, at 1 and 2 threads.
TEST(FusedAdam, IndependentOfThreadCount) {
  const int threads = get_num_threads();
  std::vector<Trajectory> runs;
  for (int n : {1, 2}) {
    set_num_threads(n);
    runs.push_back(run_optimizer<optim::Adam>(kLarge, Dtype::float32, {.lr = 1e-2}));
  }
  set_num_threads(threads);
  for (size_t i = 0; i < runs[0].params.size(); ++i) {
    EXPECT_TRUE(tensors_close(runs[0].params[i], runs[1].params[i], 0, 0)) << i;
  }
}

// After the first step has created the state, a step allocates nothing (one thread; parameters
// below the parallel grain, so no thread pool is started either).
TEST(FusedStep, SteadyStateStepAllocatesNothing) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "allocations are not counted under AddressSanitizer";
#endif
  std::vector<Tensor> params{randn({256, 100}).requires_grad_(), randn({256}).requires_grad_(),
                             randn({10, 3}, {.dtype = Dtype::float64}).requires_grad_()};
  for (Tensor& p : params) p.set_grad(randn_like(p.detach()));
  // The counter sees allocations (a large tensor's storage, its shape).
  counting = true;
  Tensor probe = zeros({1 << 20});
  counting = false;
  ASSERT_GT(allocations, 0);
  optim::Adam adam(params, {.weight_decay = 0.01, .amsgrad = true});
  optim::AdamW adamw(params, {.lr = 1e-3});
  optim::SGD sgd(params, {.lr = 0.01, .momentum = 0.9, .nesterov = true});
  for (optim::Optimizer* opt : std::vector<optim::Optimizer*>{&adam, &adamw, &sgd}) {
    opt->step();  // creates the state
    allocations = 0;
    counting = true;
    for (int i = 0; i < 5; ++i) opt->step();
    counting = false;
    EXPECT_EQ(allocations, 0) << opt->name();
  }
}

// A transposed (non-contiguous) parameter takes the composite path and gets the same updates as
// a contiguous one.
TEST(FusedAdam, NonContiguousParameterFallsBack) {
  for (Dtype dtype : {Dtype::float32, Dtype::float64}) {
    Tensor base = initial_param({5, 7}, dtype);
    Tensor contiguous = base.clone().requires_grad_();
    Tensor strided = transpose(base.t().contiguous(), 0, 1).requires_grad_();  // [5, 7], strided
    ASSERT_FALSE(strided.is_contiguous());
    optim::Adam a({contiguous}, {.lr = 0.01, .amsgrad = true});
    optim::Adam b({strided}, {.lr = 0.01, .amsgrad = true});
    optim::SGD c({contiguous.detach().clone().requires_grad_()}, {.lr = 0.1, .momentum = 0.9});
    for (const Tensor& g : gradients({5, 7}, dtype)) {
      contiguous.set_grad(g);
      strided.set_grad(g);
      a.step();
      b.step();
    }
    EXPECT_TRUE(tensors_close(contiguous, strided, rtol(dtype), atol(dtype)));
  }
}

// The kernels refuse (returning false, changing nothing) what they cannot take.
TEST(FusedStepKernels, RefuseOtherLayoutsAndDtypes) {
  Tensor p = zeros({4});
  Tensor g = ones({4});
  Tensor m = zeros({4});
  Tensor v = zeros({4});
  EXPECT_FALSE(kernels::adam_step(p, g.to(Dtype::float64), m, v, Tensor(), {}));
  EXPECT_FALSE(kernels::adam_step(p, g, m, zeros({2, 2}), Tensor(), {}));
  EXPECT_FALSE(kernels::adam_step(p, g, m, v, Tensor(), {.amsgrad = true}));
  EXPECT_FALSE(kernels::adam_step(p, p, m, v, Tensor(), {}));  // aliasing
  EXPECT_FALSE(kernels::sgd_step(p, g, Tensor(), {.momentum = 0.9}));
  EXPECT_FALSE(kernels::sgd_step(zeros({4}, {.dtype = Dtype::int64}), g, Tensor(), {}));
  EXPECT_TRUE(tensors_close(p, zeros({4}), 0, 0));
  EXPECT_TRUE(kernels::sgd_step(p, g, Tensor(), {.lr = 0.5}));
  EXPECT_TRUE(tensors_close(p, full({4}, -0.5), 0, 0));
}

// NaN gradients propagate as in the composite update (no silent clamping in the fused path).
TEST(FusedAdam, NanPropagates) {
  Tensor p = zeros({3}).requires_grad_();
  optim::Adam opt({p}, {.amsgrad = true});
  p.set_grad(tensor({1.0, NAN, -1.0}));
  opt.step();
  Tensor values = p.detach();
  EXPECT_FALSE(std::isnan(values.index({0}).item()));
  EXPECT_TRUE(std::isnan(values.index({1}).item()));
  EXPECT_FALSE(std::isnan(values.index({2}).item()));
}

// A graph that saved the parameter before the update refuses to backward, as with in-place ops.
TEST(FusedSgd, UpdateBumpsTheVersion) {
  Tensor p = ones({3}).requires_grad_();
  Tensor loss = (p * p).sum();
  optim::SGD opt({p}, {.lr = 0.1});
  p.set_grad(ones({3}));
  opt.step();
  EXPECT_ANY_THROW(loss.backward());
}

}  // namespace
}  // namespace cajal

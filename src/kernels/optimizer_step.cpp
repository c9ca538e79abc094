#include "cajal/kernels/optimizer_step.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "cajal/core/storage.h"
#include "cajal/kernels/loops.h"

namespace cajal::kernels {
namespace {

// Elements per block: the Adam update takes its square roots a block at a time.
constexpr int64_t kBlock = 64;

bool fusable(const Tensor& param, std::initializer_list<const Tensor*> others) {
  if (param.dtype() != Dtype::float32 && param.dtype() != Dtype::float64) return false;
  if (!param.is_contiguous()) return false;
  for (const Tensor* t : others) {
    if (!t->defined()) return false;
    if (t->dtype() != param.dtype() || !t->is_contiguous() || t->shape() != param.shape()) {
      return false;
    }
    // The loops take their operands as non-aliasing (__restrict): no shared storage.
    if (t->storage() == param.storage()) return false;
  }
  return true;
}

// As the in-place ops do: a graph that saved one of these before the update refuses to backward.
void mark_modified(std::initializer_list<const Tensor*> written) {
  for (const Tensor* t : written) {
    if (t != nullptr) t->storage()->bump_version();
  }
}

// Runs body(begin, end) over [0, n) in block-aligned pieces, one per thread for large n. Each
// element's arithmetic does not depend on the split, so results are independent of threads.
template <typename Body>
void split(int64_t n, Body&& body) {
  if (n < parallel_grain || omp_get_max_threads() < 2 || omp_in_parallel()) {
    body(int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const int64_t threads = omp_get_num_threads();
    const int64_t t = omp_get_thread_num();
    const int64_t blocks = (n + kBlock - 1) / kBlock;
    const int64_t per = (blocks + threads - 1) / threads;
    const int64_t begin = std::min(n, t * per * kBlock);
    const int64_t end = std::min(n, begin + per * kBlock);
    if (begin < end) body(begin, end);
  }
}

template <typename T>
struct AdamCoefficients {
  T beta1, one_minus_beta1, beta2, one_minus_beta2, weight_decay, shrink, bias_correction2_sqrt,
      eps, neg_step_size;
  bool coupled_decay, decoupled_decay, maximize, amsgrad;
};

// One block of n <= kBlock elements; N is n when known at compile time (full blocks), so the
// loops have fixed trip counts and vectorize whole.
template <typename T, int64_t N>
inline void adam_block(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
                       T* __restrict vmax, int64_t n_runtime, const AdamCoefficients<T>& c) {
  const int64_t n = N > 0 ? N : n_runtime;
  alignas(64) T denominator[kBlock];
  for (int64_t i = 0; i < n; ++i) {
    T d = c.maximize ? -g[i] : g[i];
    if (c.decoupled_decay) p[i] = p[i] * c.shrink;
    if (c.coupled_decay) d = d + c.weight_decay * p[i];
    m[i] = m[i] * c.beta1 + c.one_minus_beta1 * d;
    v[i] = v[i] * c.beta2 + c.one_minus_beta2 * (d * d);
    denominator[i] = v[i];
  }
  if (c.amsgrad) {
    for (int64_t i = 0; i < n; ++i) {
      // As maximum(): NaN propagates.
      const T a = vmax[i], b = v[i];
      vmax[i] = (a != a || a > b) ? a : b;
      denominator[i] = vmax[i];
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    const T den = std::sqrt(denominator[i]) / c.bias_correction2_sqrt + c.eps;
    p[i] = p[i] + c.neg_step_size * (m[i] / den);
  }
}

template <typename T>
void adam_impl(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
               const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq, const AdamStepOptions& o) {
  const double step = static_cast<double>(o.step);
  AdamCoefficients<T> c;
  c.beta1 = static_cast<T>(o.beta1);
  c.one_minus_beta1 = static_cast<T>(1 - o.beta1);
  c.beta2 = static_cast<T>(o.beta2);
  c.one_minus_beta2 = static_cast<T>(1 - o.beta2);
  c.weight_decay = static_cast<T>(o.weight_decay);
  c.shrink = static_cast<T>(1 - o.lr * o.weight_decay);
  c.bias_correction2_sqrt = static_cast<T>(std::sqrt(1 - std::pow(o.beta2, step)));
  c.eps = static_cast<T>(o.eps);
  c.neg_step_size = static_cast<T>(-(o.lr / (1 - std::pow(o.beta1, step))));
  c.coupled_decay = !o.decoupled_weight_decay && o.weight_decay != 0;
  c.decoupled_decay = o.decoupled_weight_decay;
  c.maximize = o.maximize;
  c.amsgrad = o.amsgrad;

  T* p = param.data_ptr<T>();
  const T* g = grad.data_ptr<T>();
  T* m = exp_avg.data_ptr<T>();
  T* v = exp_avg_sq.data_ptr<T>();
  T* vmax = o.amsgrad ? max_exp_avg_sq.data_ptr<T>() : nullptr;
  split(param.numel(), [&](int64_t begin, int64_t end) {
    int64_t i = begin;
    for (; i + kBlock <= end; i += kBlock) {
      adam_block<T, kBlock>(p + i, g + i, m + i, v + i, vmax ? vmax + i : nullptr, kBlock, c);
    }
    if (i < end) {
      adam_block<T, 0>(p + i, g + i, m + i, v + i, vmax ? vmax + i : nullptr, end - i, c);
    }
  });
}

template <typename T>
void sgd_impl(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
              const SgdStepOptions& o) {
  const T weight_decay = static_cast<T>(o.weight_decay);
  const T momentum = static_cast<T>(o.momentum);
  const T keep = static_cast<T>(1 - o.dampening);
  const T neg_lr = static_cast<T>(-o.lr);
  const bool coupled_decay = o.weight_decay != 0;
  const bool use_momentum = o.momentum != 0;
  const bool first = o.first_step;
  const bool nesterov = o.nesterov;
  const bool maximize = o.maximize;
  T* __restrict p = param.data_ptr<T>();
  const T* __restrict g = grad.data_ptr<T>();
  T* __restrict b = use_momentum ? momentum_buffer.data_ptr<T>() : nullptr;
  split(param.numel(), [&](int64_t begin, int64_t end) {
    if (!use_momentum) {
      for (int64_t i = begin; i < end; ++i) {
        T d = maximize ? -g[i] : g[i];
        if (coupled_decay) d = d + weight_decay * p[i];
        p[i] = p[i] + neg_lr * d;
      }
      return;
    }
    for (int64_t i = begin; i < end; ++i) {
      T d = maximize ? -g[i] : g[i];
      if (coupled_decay) d = d + weight_decay * p[i];
      const T buffer = first ? d : b[i] * momentum + keep * d;
      b[i] = buffer;
      d = nesterov ? d + momentum * buffer : buffer;
      p[i] = p[i] + neg_lr * d;
    }
  });
}

}  // namespace

bool adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
               const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq,
               const AdamStepOptions& options) {
  if (!fusable(param, {&grad, &exp_avg, &exp_avg_sq})) return false;
  if (options.amsgrad && !fusable(param, {&max_exp_avg_sq})) return false;
  if (param.dtype() == Dtype::float32) {
    adam_impl<float>(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, options);
  } else {
    adam_impl<double>(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, options);
  }
  mark_modified({&param, &exp_avg, &exp_avg_sq, options.amsgrad ? &max_exp_avg_sq : nullptr});
  return true;
}

bool sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
              const SgdStepOptions& options) {
  if (!fusable(param, {&grad})) return false;
  if (options.momentum != 0 && !fusable(param, {&momentum_buffer})) return false;
  if (param.dtype() == Dtype::float32) {
    sgd_impl<float>(param, grad, momentum_buffer, options);
  } else {
    sgd_impl<double>(param, grad, momentum_buffer, options);
  }
  mark_modified({&param, options.momentum != 0 ? &momentum_buffer : nullptr});
  return true;
}

}  // namespace cajal::kernels

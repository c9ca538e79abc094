#include "cajal/kernels/cross_entropy.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cajal/core/creation.h"
#include "cajal/kernels/elementwise.h"
#include "cajal/kernels/loops.h"

namespace cajal::kernels {
namespace {

bool run_parallel(int64_t work) {
  return work >= parallel_grain && omp_get_max_threads() > 1 && !omp_in_parallel();
}

// Per-row loss terms in double: row i's log-sum-exp, -z[t] * weight_i and -sum_c w[c] z[c].
template <typename T>
void forward_rows(const T* x, const int64_t* target, const T* w, int64_t rows, int64_t classes,
                  int64_t ignore_index, bool smoothing, double* lse, double* nll, double* uniform,
                  double* row_weight) {
  auto row = [&](int64_t i) {
    const T* xi = x + i * classes;
    double max = -std::numeric_limits<double>::infinity();
    for (int64_t c = 0; c < classes; ++c) max = std::max(max, static_cast<double>(xi[c]));
    // All -inf (or a NaN) row: let the arithmetic produce NaN as log_softmax does.
    const double shift = std::isfinite(max) ? max : 0.0;
    double total = 0;
    for (int64_t c = 0; c < classes; ++c) total += std::exp(static_cast<double>(xi[c]) - shift);
    const double l = shift + std::log(total);
    lse[i] = l;
    const int64_t t = target[i];
    const bool valid = t != ignore_index;
    const double weight = valid ? (w ? static_cast<double>(w[t]) : 1.0) : 0.0;
    row_weight[i] = weight;
    nll[i] = valid ? -(static_cast<double>(xi[t]) - l) * weight : 0.0;
    if (smoothing) {
      double s = 0;
      if (valid) {
        for (int64_t c = 0; c < classes; ++c) {
          s += (w ? static_cast<double>(w[c]) : 1.0) * (static_cast<double>(xi[c]) - l);
        }
      }
      uniform[i] = -s;
    }
  };
  if (run_parallel(rows * classes)) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < rows; ++i) row(i);
  } else {
    for (int64_t i = 0; i < rows; ++i) row(i);
  }
}

template <typename T>
CrossEntropyForward forward_impl(const Tensor& input, const Tensor& target,
                                 const CrossEntropyArgs& args) {
  const int64_t rows = input.size(0);
  const int64_t classes = input.size(1);
  const bool smoothing = args.label_smoothing != 0;
  CrossEntropyForward out;
  out.log_sum_exp = empty({rows}, Dtype::float64);
  std::vector<double> nll(rows), uniform(smoothing ? rows : 0), row_weight(rows);
  const Tensor target_c = target.contiguous();
  forward_rows<T>(input.data_ptr<T>(), target_c.data_ptr<int64_t>(),
                  args.weight.defined() ? args.weight.data_ptr<T>() : nullptr, rows, classes,
                  args.ignore_index, smoothing, out.log_sum_exp.data_ptr<double>(), nll.data(),
                  uniform.data(), row_weight.data());
  const double e = args.label_smoothing;
  double weight_sum = 0;
  for (double v : row_weight) weight_sum += v;
  out.weight_sum = weight_sum;
  if (args.reduction == CrossEntropyReduction::none) {
    out.loss = empty({rows}, input.dtype());
    T* lp = out.loss.data_ptr<T>();
    for (int64_t i = 0; i < rows; ++i) {
      lp[i] = static_cast<T>(smoothing ? (1 - e) * nll[i] + (e / classes) * uniform[i] : nll[i]);
    }
    return out;
  }
  double nll_sum = 0, uniform_sum = 0;
  for (int64_t i = 0; i < rows; ++i) nll_sum += nll[i];
  for (double v : uniform) uniform_sum += v;
  if (args.reduction == CrossEntropyReduction::mean) {
    nll_sum /= weight_sum;  // 0 / 0 = NaN when every target is ignored, as the composite
    uniform_sum /= weight_sum;
  }
  const double loss = smoothing ? (1 - e) * nll_sum + (e / classes) * uniform_sum : nll_sum;
  out.loss = empty({}, input.dtype());
  *out.loss.data_ptr<T>() = static_cast<T>(loss);
  return out;
}

template <typename T>
Tensor backward_impl(const Tensor& grad, const Tensor& input, const Tensor& target,
                     const CrossEntropyForward& forward, const CrossEntropyArgs& args) {
  const int64_t rows = input.size(0);
  const int64_t classes = input.size(1);
  const double e = args.label_smoothing;
  const bool smoothing = e != 0;
  const double hard = smoothing ? 1 - e : 1.0;
  const double soft = e / static_cast<double>(classes);
  Tensor dx = empty({rows, classes}, input.dtype());
  const Tensor g64 = convert(grad, Dtype::float64);
  const double* gp = g64.data_ptr<double>();
  const bool per_row = args.reduction == CrossEntropyReduction::none;
  const double scale = args.reduction == CrossEntropyReduction::mean ? 1 / forward.weight_sum : 1;
  const Tensor target_c = target.contiguous();
  const int64_t* tp = target_c.data_ptr<int64_t>();
  const T* x = input.data_ptr<T>();
  const T* w = args.weight.defined() ? args.weight.data_ptr<T>() : nullptr;
  const double* lse = forward.log_sum_exp.data_ptr<double>();
  double weight_total = static_cast<double>(classes);
  if (w != nullptr) {
    weight_total = 0;
    for (int64_t c = 0; c < classes; ++c) weight_total += static_cast<double>(w[c]);
  }
  T* out = dx.data_ptr<T>();
  auto row = [&](int64_t i) {
    const T* xi = x + i * classes;
    T* di = out + i * classes;
    const int64_t t = tp[i];
    const bool valid = t != args.ignore_index;
    const double g = (per_row ? gp[i] : gp[0]) * scale;
    if (!valid) {
      // 0 * g: NaN when mean's divisor is 0 (every target ignored), as the composite gives.
      std::fill(di, di + classes, static_cast<T>(0.0 * g));
      return;
    }
    const double a = g * hard * (w ? static_cast<double>(w[t]) : 1.0);
    const double b = g * soft;
    for (int64_t c = 0; c < classes; ++c) {
      const double p = std::exp(static_cast<double>(xi[c]) - lse[i]);
      double d = a * p;
      if (smoothing) d += b * (weight_total * p - (w ? static_cast<double>(w[c]) : 1.0));
      di[c] = static_cast<T>(d);
    }
    di[t] = static_cast<T>(static_cast<double>(di[t]) - a);
  };
  if (run_parallel(rows * classes)) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < rows; ++i) row(i);
  } else {
    for (int64_t i = 0; i < rows; ++i) row(i);
  }
  return dx;
}

}  // namespace

bool cross_entropy_fusable(const Tensor& input, const Tensor& target, const Tensor& weight) {
  if (input.dtype() != Dtype::float32 && input.dtype() != Dtype::float64) return false;
  if (input.dim() != 2 || input.size(1) < 1 || !input.is_contiguous()) return false;
  if (!target.defined() || target.dtype() != Dtype::int64 || target.dim() != 1 ||
      target.size(0) != input.size(0)) {
    return false;
  }
  if (weight.defined() && (weight.dtype() != input.dtype() || weight.dim() != 1 ||
                           weight.size(0) != input.size(1) || !weight.is_contiguous())) {
    return false;
  }
  return true;
}

CrossEntropyForward cross_entropy_forward(const Tensor& input, const Tensor& target,
                                          const CrossEntropyArgs& args) {
  if (input.dtype() == Dtype::float32) return forward_impl<float>(input, target, args);
  return forward_impl<double>(input, target, args);
}

Tensor cross_entropy_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                              const CrossEntropyForward& forward, const CrossEntropyArgs& args) {
  if (input.dtype() == Dtype::float32) {
    return backward_impl<float>(grad, input, target, forward, args);
  }
  return backward_impl<double>(grad, input, target, forward, args);
}

}  // namespace cajal::kernels

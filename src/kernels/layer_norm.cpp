#include "cajal/kernels/layer_norm.h"

#include <omp.h>

#include <cmath>
#include <string>
#include <vector>

#include "cajal/core/error.h"
#include "cajal/kernels/loops.h"
#include "cajal/kernels/row_sums.h"

namespace cajal::kernels {
namespace {

bool run_parallel(int64_t work) {
  return work >= parallel_grain && omp_get_max_threads() > 1 && !omp_in_parallel();
}

void check_input(const Tensor& x, int64_t normalized_size, const char* op) {
  if (x.dtype() != Dtype::float32 && x.dtype() != Dtype::float64) {
    throw ValueError(std::string(op) + ": expected float32 or float64, got " +
                     std::string(dtype_name(x.dtype())));
  }
  if (x.numel() == 0 || normalized_size <= 0 || x.numel() % normalized_size != 0) {
    throw ShapeError(std::string(op) + ": normalized size " + std::to_string(normalized_size) +
                     " does not divide input " + shape_string(x.shape()) + " into rows");
  }
}

template <typename T>
const T* optional_data(const Tensor& t, Tensor* holder) {
  if (!t.defined()) return nullptr;
  *holder = t.contiguous();
  return holder->data_ptr<T>();
}

template <typename T>
LayerNormForward forward_impl(const Tensor& input, int64_t d, const Tensor& weight_in,
                              const Tensor& bias_in, double eps) {
  const Tensor x = input.contiguous();
  const int64_t rows = x.numel() / d;
  LayerNormForward result;
  result.y = empty(x.shape(), x.dtype());
  result.mean = empty({rows}, x.dtype());
  result.invstd = empty({rows}, x.dtype());
  Tensor weight_c;
  Tensor bias_c;
  const T* weight = optional_data<T>(weight_in, &weight_c);
  const T* bias = optional_data<T>(bias_in, &bias_c);
  const T* in = x.data_ptr<T>();
  T* out = result.y.data_ptr<T>();
  T* mean_out = result.mean.data_ptr<T>();
  T* invstd_out = result.invstd.data_ptr<T>();
#pragma omp parallel for schedule(static) if (run_parallel(x.numel()))
  for (int64_t r = 0; r < rows; ++r) {
    const T* src = in + r * d;
    T* dst = out + r * d;
    const double m = row_sums::sum(src, d) / static_cast<double>(d);
    const double s =
        1.0 / std::sqrt(row_sums::squared_deviation(src, d, m) / static_cast<double>(d) + eps);
    mean_out[r] = static_cast<T>(m);
    invstd_out[r] = static_cast<T>(s);
    const T mt = static_cast<T>(m);
    const T st = static_cast<T>(s);
    for (int64_t i = 0; i < d; ++i) {
      T v = (src[i] - mt) * st;
      if (weight) v *= weight[i];
      if (bias) v += bias[i];
      dst[i] = v;
    }
  }
  return result;
}

template <typename T>
LayerNormGrads backward_impl(const Tensor& grad, const Tensor& input, int64_t d,
                             const Tensor& mean_in, const Tensor& invstd_in,
                             const Tensor& weight_in) {
  const Tensor x = input.contiguous();
  const Tensor dy = grad.contiguous();
  const int64_t rows = x.numel() / d;
  const Tensor mean_c = mean_in.contiguous();
  const Tensor invstd_c = invstd_in.contiguous();
  const T* mean = mean_c.data_ptr<T>();
  const T* invstd = invstd_c.data_ptr<T>();
  Tensor weight_c;
  const T* weight = optional_data<T>(weight_in, &weight_c);
  const T* xd = x.data_ptr<T>();
  const T* gd = dy.data_ptr<T>();
  LayerNormGrads result;
  result.x = empty(x.shape(), x.dtype());
  T* dx = result.x.data_ptr<T>();

  const bool parallel = run_parallel(x.numel());
  const int threads = parallel ? omp_get_max_threads() : 1;
  // Per-thread partial sums of the weight and bias gradients (a column sum over rows), added up
  // after the parallel loop so that no two threads write the same element.
  std::vector<double> partial(static_cast<size_t>(threads) * 2 * static_cast<size_t>(d), 0.0);
#pragma omp parallel num_threads(threads) if (parallel)
  {
    double* dweight = partial.data() + static_cast<size_t>(omp_get_thread_num()) * 2 * d;
    double* dbias = dweight + d;
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const T* g = gd + r * d;
      const T* xs = xd + r * d;
      T* out = dx + r * d;
      const double m = static_cast<double>(mean[r]);
      const double s = static_cast<double>(invstd[r]);
      double sum_g = 0;
      double sum_g_xhat = 0;
      for (int64_t i = 0; i < d; ++i) {
        const double xhat = (static_cast<double>(xs[i]) - m) * s;
        const double gi = static_cast<double>(g[i]);
        dweight[i] += gi * xhat;
        dbias[i] += gi;
        const double scaled = weight ? gi * static_cast<double>(weight[i]) : gi;
        sum_g += scaled;
        sum_g_xhat += scaled * xhat;
      }
      const T mean_g = static_cast<T>(sum_g / static_cast<double>(d));
      const T mean_g_xhat = static_cast<T>(sum_g_xhat / static_cast<double>(d));
      const T mt = static_cast<T>(m);
      const T st = static_cast<T>(s);
      for (int64_t i = 0; i < d; ++i) {
        const T scaled = weight ? g[i] * weight[i] : g[i];
        out[i] = st * (scaled - mean_g - (xs[i] - mt) * st * mean_g_xhat);
      }
    }
  }
  result.weight = empty({d}, x.dtype());
  result.bias = empty({d}, x.dtype());
  T* dweight = result.weight.data_ptr<T>();
  T* dbias = result.bias.data_ptr<T>();
  for (int64_t i = 0; i < d; ++i) {
    double w = 0;
    double b = 0;
    for (int t = 0; t < threads; ++t) {
      w += partial[static_cast<size_t>(t) * 2 * d + i];
      b += partial[static_cast<size_t>(t) * 2 * d + d + i];
    }
    dweight[i] = static_cast<T>(w);
    dbias[i] = static_cast<T>(b);
  }
  return result;
}

}  // namespace

LayerNormForward layer_norm_forward(const Tensor& x, int64_t normalized_size, const Tensor& weight,
                                    const Tensor& bias, double eps) {
  check_input(x, normalized_size, "layer_norm_forward");
  return x.dtype() == Dtype::float32 ? forward_impl<float>(x, normalized_size, weight, bias, eps)
                                     : forward_impl<double>(x, normalized_size, weight, bias, eps);
}

LayerNormGrads layer_norm_backward(const Tensor& dy, const Tensor& x, int64_t normalized_size,
                                   const Tensor& mean, const Tensor& invstd, const Tensor& weight) {
  check_input(x, normalized_size, "layer_norm_backward");
  if (dy.shape() != x.shape()) {
    throw ShapeError("layer_norm_backward: dy " + shape_string(dy.shape()) +
                     " must have the input's shape " + shape_string(x.shape()));
  }
  return x.dtype() == Dtype::float32
             ? backward_impl<float>(dy, x, normalized_size, mean, invstd, weight)
             : backward_impl<double>(dy, x, normalized_size, mean, invstd, weight);
}

}  // namespace cajal::kernels

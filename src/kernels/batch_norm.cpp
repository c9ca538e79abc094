#include "cajal/kernels/batch_norm.h"

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

// x viewed as [N, C, S], contiguous.
struct Layout {
  int64_t batch, channels, inner;
  explicit Layout(const Tensor& x)
      : batch(x.size(0)), channels(x.size(1)), inner(x.numel() / (x.size(0) * x.size(1))) {}
  int64_t per_channel() const { return batch * inner; }
};

void check_input(const Tensor& x, const char* op) {
  if (x.dtype() != Dtype::float32 && x.dtype() != Dtype::float64) {
    throw ValueError(std::string(op) + ": expected float32 or float64, got " +
                     std::string(dtype_name(x.dtype())));
  }
  if (x.dim() < 2 || x.numel() == 0) {
    throw ShapeError(std::string(op) + ": expected a non-empty [N, C, *] input, got " +
                     shape_string(x.shape()));
  }
}

using row_sums::lanes;

// sum(dy) and sum(dy * (x - mean)) over one row.
template <typename T>
void gradient_sums_row(const T* dy, const T* x, int64_t count, double mean, double* sum_dy,
                       double* sum_dy_centered) {
  double a[lanes] = {};
  double b[lanes] = {};
  int64_t i = 0;
  for (; i + lanes <= count; i += lanes) {
    for (int l = 0; l < lanes; ++l) {
      const double g = static_cast<double>(dy[i + l]);
      a[l] += g;
      b[l] += g * (static_cast<double>(x[i + l]) - mean);
    }
  }
  double sa = 0;
  double sb = 0;
  for (; i < count; ++i) {
    const double g = static_cast<double>(dy[i]);
    sa += g;
    sb += g * (static_cast<double>(x[i]) - mean);
  }
  for (int l = 0; l < lanes; ++l) {
    sa += a[l];
    sb += b[l];
  }
  *sum_dy += sa;
  *sum_dy_centered += sb;
}

template <typename T>
BatchNormForward training_impl(const Tensor& input, const Tensor& weight_in, const Tensor& bias_in,
                               double eps) {
  const Tensor x = input.contiguous();
  const Layout layout(x);
  const T* data = x.data_ptr<T>();
  BatchNormForward result;
  result.y = empty(x.shape(), x.dtype());
  result.mean = empty({layout.channels}, x.dtype());
  result.var = empty({layout.channels}, x.dtype());
  result.invstd = empty({layout.channels}, x.dtype());
  T* out = result.y.data_ptr<T>();
  T* mean_out = result.mean.data_ptr<T>();
  T* var_out = result.var.data_ptr<T>();
  T* invstd_out = result.invstd.data_ptr<T>();
  Tensor weight_c = weight_in.defined() ? weight_in.contiguous() : Tensor();
  Tensor bias_c = bias_in.defined() ? bias_in.contiguous() : Tensor();
  const T* weight = weight_c.defined() ? weight_c.data_ptr<T>() : nullptr;
  const T* bias = bias_c.defined() ? bias_c.data_ptr<T>() : nullptr;
  const int64_t inner = layout.inner;
  const int64_t plane_stride = layout.channels * inner;
  const double n = static_cast<double>(layout.per_channel());
#pragma omp parallel for schedule(static) if (run_parallel(x.numel()))
  for (int64_t c = 0; c < layout.channels; ++c) {
    const int64_t first = c * inner;
    double total = 0;
    for (int64_t b = 0; b < layout.batch; ++b)
      total += row_sums::sum(data + first + b * plane_stride, inner);
    const double m = total / n;
    double squares = 0;
    for (int64_t b = 0; b < layout.batch; ++b) {
      squares += row_sums::squared_deviation(data + first + b * plane_stride, inner, m);
    }
    const double v = squares / n;
    const double s = 1.0 / std::sqrt(v + eps);
    mean_out[c] = static_cast<T>(m);
    var_out[c] = static_cast<T>(v);
    invstd_out[c] = static_cast<T>(s);
    // y = x * scale + shift, the constants rounded from double once.
    const double scale_d = s * (weight ? static_cast<double>(weight[c]) : 1.0);
    const T scale = static_cast<T>(scale_d);
    const T shift = static_cast<T>((bias ? static_cast<double>(bias[c]) : 0.0) - m * scale_d);
    for (int64_t b = 0; b < layout.batch; ++b) {
      const T* src = data + first + b * plane_stride;
      T* dst = out + first + b * plane_stride;
      for (int64_t i = 0; i < inner; ++i) dst[i] = src[i] * scale + shift;
    }
  }
  return result;
}

template <typename T>
Tensor affine_impl(const Tensor& input, const Tensor& scale, const Tensor& shift) {
  const Tensor x = input.contiguous();
  const Layout layout(x);
  Tensor y = empty(x.shape(), x.dtype());
  const T* in = x.data_ptr<T>();
  T* out = y.data_ptr<T>();
  const Tensor scale_c = scale.contiguous();
  const Tensor shift_c = shift.contiguous();
  const T* a = scale_c.data_ptr<T>();
  const T* b = shift_c.data_ptr<T>();
  const int64_t planes = layout.batch * layout.channels;
  const int64_t inner = layout.inner;
#pragma omp parallel for schedule(static) if (run_parallel(x.numel()))
  for (int64_t p = 0; p < planes; ++p) {
    const int64_t c = p % layout.channels;
    const T sa = a[c];
    const T sb = b[c];
    const T* src = in + p * inner;
    T* dst = out + p * inner;
    for (int64_t i = 0; i < inner; ++i) dst[i] = src[i] * sa + sb;
  }
  return y;
}

template <typename T>
BatchNormGrads backward_impl(const Tensor& grad, const Tensor& input, const Tensor& mean_in,
                             const Tensor& invstd_in, const Tensor& weight_in,
                             bool batch_statistics) {
  const Tensor x = input.contiguous();
  const Tensor dy = grad.contiguous();
  const Layout layout(x);
  const int64_t channels = layout.channels;
  const int64_t inner = layout.inner;
  const int64_t plane_stride = channels * inner;
  const Tensor mean_c = mean_in.contiguous();
  const Tensor invstd_c = invstd_in.contiguous();
  const T* mean = mean_c.data_ptr<T>();
  const T* invstd = invstd_c.data_ptr<T>();
  Tensor weight_c;
  const T* weight = nullptr;
  if (weight_in.defined()) {
    weight_c = weight_in.contiguous();
    weight = weight_c.data_ptr<T>();
  }
  const T* xd = x.data_ptr<T>();
  const T* gd = dy.data_ptr<T>();

  BatchNormGrads result;
  result.weight = empty({channels}, x.dtype());
  result.bias = empty({channels}, x.dtype());
  result.x = empty(x.shape(), x.dtype());
  T* dweight = result.weight.data_ptr<T>();
  T* dbias = result.bias.data_ptr<T>();
  T* dx = result.x.data_ptr<T>();
  const double n = static_cast<double>(layout.per_channel());

#pragma omp parallel for schedule(static) if (run_parallel(x.numel()))
  for (int64_t c = 0; c < channels; ++c) {
    const double m = static_cast<double>(mean[c]);
    double sum_dy = 0;
    double sum_dy_centered = 0;
    for (int64_t b = 0; b < layout.batch; ++b) {
      const int64_t start = b * plane_stride + c * inner;
      gradient_sums_row(gd + start, xd + start, inner, m, &sum_dy, &sum_dy_centered);
    }
    const double s = static_cast<double>(invstd[c]);
    const double w = weight ? static_cast<double>(weight[c]) : 1.0;
    dbias[c] = static_cast<T>(sum_dy);
    dweight[c] = static_cast<T>(sum_dy_centered * s);
    // dx = scale * (dy - offset - (x - mean) * slope), the constants rounded from double once.
    const T scale = static_cast<T>(w * s);
    if (batch_statistics) {
      const T offset = static_cast<T>(sum_dy / n);
      const T slope = static_cast<T>(sum_dy_centered * s * s / n);
      const T mc = mean[c];
      for (int64_t b = 0; b < layout.batch; ++b) {
        const int64_t start = b * plane_stride + c * inner;
        const T* g = gd + start;
        const T* xs = xd + start;
        T* out = dx + start;
        for (int64_t i = 0; i < inner; ++i) out[i] = scale * (g[i] - offset - (xs[i] - mc) * slope);
      }
    } else {
      for (int64_t b = 0; b < layout.batch; ++b) {
        const int64_t start = b * plane_stride + c * inner;
        const T* g = gd + start;
        T* out = dx + start;
        for (int64_t i = 0; i < inner; ++i) out[i] = scale * g[i];
      }
    }
  }
  return result;
}

}  // namespace

BatchNormForward batch_norm_training(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                     double eps) {
  check_input(x, "batch_norm_training");
  return x.dtype() == Dtype::float32 ? training_impl<float>(x, weight, bias, eps)
                                     : training_impl<double>(x, weight, bias, eps);
}

Tensor batch_norm_affine(const Tensor& x, const Tensor& scale, const Tensor& shift) {
  check_input(x, "batch_norm_affine");
  return x.dtype() == Dtype::float32 ? affine_impl<float>(x, scale, shift)
                                     : affine_impl<double>(x, scale, shift);
}

BatchNormGrads batch_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& mean,
                                   const Tensor& invstd, const Tensor& weight,
                                   bool batch_statistics) {
  check_input(x, "batch_norm_backward");
  if (dy.shape() != x.shape()) {
    throw ShapeError("batch_norm_backward: dy " + shape_string(dy.shape()) +
                     " must have the input's shape " + shape_string(x.shape()));
  }
  return x.dtype() == Dtype::float32
             ? backward_impl<float>(dy, x, mean, invstd, weight, batch_statistics)
             : backward_impl<double>(dy, x, mean, invstd, weight, batch_statistics);
}

}  // namespace cajal::kernels

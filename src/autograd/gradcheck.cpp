#include "cajal/autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "cajal/autograd/engine.h"
#include "cajal/autograd/grad_mode.h"
#include "cajal/core/creation.h"
#include "cajal/core/random.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/reduction.h"

namespace cajal::autograd {

namespace {

using Function = std::function<Tensor(const std::vector<Tensor>&)>;

Tensor evaluate(const Function& fn, const std::vector<Tensor>& xs) {
  Tensor y = fn(xs);
  if (!y.defined()) throw ValueError("gradcheck: the function returned an undefined tensor");
  if (y.dtype() != Dtype::float64) {
    throw ValueError("gradcheck: the function must return float64, got " +
                     std::string(dtype_name(y.dtype())));
  }
  return y.contiguous();
}

// Records the worst mismatch seen.
struct Judge {
  const GradcheckOptions& options;
  GradcheckResult result;
  void compare(double analytic, double numeric, size_t input, int64_t element, int64_t output) {
    double tolerance = options.atol + options.rtol * std::abs(numeric);
    double excess = std::abs(analytic - numeric) - tolerance;
    if (std::isnan(analytic) != std::isnan(numeric)) excess = INFINITY;
    if (result.message.empty() || excess > result.worst_error) {
      result.worst_error = excess;
      std::ostringstream os;
      os << "input " << input << " element " << element;
      if (output >= 0) os << ", output element " << output;
      os << ": analytic " << analytic << ", numeric " << numeric << " (tolerance " << tolerance
         << ")";
      result.message = os.str();
    }
    if (excess > 0) result.ok = false;
  }
};

GradcheckResult first_order(const Function& fn, std::vector<Tensor>& xs,
                            const GradcheckOptions& options) {
  Judge judge{options, {}};
  Tensor y = evaluate(fn, xs);
  const int64_t m = y.numel();
  std::vector<size_t> checked;
  std::vector<Tensor> wrt;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (xs[i].requires_grad()) {
      checked.push_back(i);
      wrt.push_back(xs[i]);
    }
  }
  if (checked.empty()) throw ValueError("gradcheck: no input requires grad");
  if (!y.requires_grad()) {
    throw ValueError("gradcheck: the output does not depend on any input that requires grad");
  }
  Generator generator(12345);

  auto numeric_output = [&](size_t i, int64_t j, double delta) {
    double* p = xs[i].data_ptr<double>();
    double saved = p[j];
    p[j] = saved + delta;
    Tensor out;
    {
      no_grad guard;
      // A copy: the function may return a view of its input (flatten, identity), which would
      // change back when the input is restored.
      out = evaluate(fn, xs).clone();
    }
    p[j] = saved;
    return out;
  };

  int64_t total_inputs = 0;
  for (size_t i : checked) total_inputs += xs[i].numel();
  if (m * total_inputs <= options.full_jacobian_limit) {
    // analytic[k][input] : row k of the Jacobian, one backward per output element.
    std::vector<std::vector<Tensor>> rows(m);
    for (int64_t k = 0; k < m; ++k) {
      Tensor v = zeros(y.shape(), {.dtype = Dtype::float64});
      v.data_ptr<double>()[k] = 1;
      rows[k] = grad({y}, wrt, {v}, {.retain_graph = true}, /*allow_unused=*/true);
    }
    for (size_t c = 0; c < checked.size(); ++c) {
      size_t i = checked[c];
      for (int64_t j = 0; j < xs[i].numel(); ++j) {
        Tensor plus = numeric_output(i, j, options.eps);
        Tensor minus = numeric_output(i, j, -options.eps);
        const double* pp = plus.data_ptr<double>();
        const double* pm = minus.data_ptr<double>();
        for (int64_t k = 0; k < m; ++k) {
          double numeric = (pp[k] - pm[k]) / (2 * options.eps);
          const Tensor& g = rows[k][c];
          double analytic = g.defined() ? g.contiguous().data_ptr<double>()[j] : 0.0;
          judge.compare(analytic, numeric, i, j, k);
        }
      }
    }
    return judge.result;
  }

  // Big: compare v^T J against central differences of v . f, for a random v and sampled inputs.
  Tensor v = empty(y.shape(), Dtype::float64);
  for (int64_t k = 0; k < m; ++k) v.data_ptr<double>()[k] = generator.normal();
  std::vector<Tensor> analytic = grad({y}, wrt, {v}, {.retain_graph = true}, true);
  const double* pv = v.data_ptr<double>();
  auto project = [&](const Tensor& out) {
    const double* p = out.data_ptr<double>();
    double s = 0;
    for (int64_t k = 0; k < m; ++k) s += p[k] * pv[k];
    return s;
  };
  for (size_t c = 0; c < checked.size(); ++c) {
    size_t i = checked[c];
    int64_t n = xs[i].numel();
    Tensor g = analytic[c].defined() ? analytic[c].contiguous()
                                     : zeros(xs[i].shape(), {.dtype = Dtype::float64});
    std::vector<int64_t> sample;
    if (n <= options.sampled_inputs) {
      for (int64_t j = 0; j < n; ++j) sample.push_back(j);
    } else {
      for (int64_t s = 0; s < options.sampled_inputs; ++s)
        sample.push_back(generator.integer(0, n));
    }
    for (int64_t j : sample) {
      double numeric = (project(numeric_output(i, j, options.eps)) -
                        project(numeric_output(i, j, -options.eps))) /
                       (2 * options.eps);
      judge.compare(g.data_ptr<double>()[j], numeric, i, j, -1);
    }
  }
  return judge.result;
}

}  // namespace

GradcheckResult gradcheck(const Function& fn, const std::vector<Tensor>& inputs,
                          GradcheckOptions options) {
  std::vector<Tensor> xs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (x.defined() && x.requires_grad() && x.dtype() != Dtype::float64) {
      throw ValueError("gradcheck: input " + std::to_string(i) + " must be float64, got " +
                       std::string(dtype_name(x.dtype())));
    }
    if (!x.defined()) {
      xs.push_back(x);
      continue;
    }
    Tensor copy = x.detach().clone();
    if (x.requires_grad()) copy.requires_grad_(true);
    xs.push_back(copy);
  }
  GradcheckResult result = first_order(fn, xs, options);
  if (!result.ok || !options.check_second_order) {
    if (!result.ok) result.message = "gradcheck failed at " + result.message;
    return result;
  }
  // Second order: check the gradient of sum_i <grad_i, w_i> for fixed random w.
  Generator generator(54321);
  Tensor probe_out;
  {
    Tensor y = evaluate(fn, xs);
    probe_out = empty(y.shape(), Dtype::float64);
    for (int64_t k = 0; k < y.numel(); ++k) probe_out.data_ptr<double>()[k] = generator.normal();
  }
  std::vector<Tensor> weights;
  for (const Tensor& x : xs) {
    Tensor w;
    if (x.defined() && x.requires_grad()) {
      w = empty(x.shape(), Dtype::float64);
      for (int64_t k = 0; k < x.numel(); ++k) w.data_ptr<double>()[k] = generator.normal();
    }
    weights.push_back(w);
  }
  // The upstream gradient is an input too (as in gradgradcheck): for a linear op the gradient
  // depends only on it, and the backward's handling of it is checked.
  probe_out.requires_grad_(true);
  std::vector<Tensor> second_inputs = xs;
  second_inputs.push_back(probe_out);
  auto gradient_fn = [&](const std::vector<Tensor>& args) {
    enable_grad guard;  // the numeric pass evaluates under no_grad; this needs the graph
    std::vector<Tensor> originals(args.begin(), args.end() - 1);
    const Tensor& upstream = args.back();
    std::vector<Tensor> wrt;
    std::vector<Tensor> ws;
    for (size_t i = 0; i < originals.size(); ++i) {
      if (originals[i].defined() && originals[i].requires_grad()) {
        wrt.push_back(originals[i]);
        ws.push_back(weights[i]);
      }
    }
    Tensor y = fn(originals);
    std::vector<Tensor> g = grad({y}, wrt, {upstream}, {.create_graph = true}, true);
    Tensor total = zeros({}, {.dtype = Dtype::float64});
    for (size_t i = 0; i < g.size(); ++i) {
      if (g[i].defined()) total = total + sum(g[i] * ws[i]);
    }
    return total;
  };
  GradcheckResult second = first_order(gradient_fn, second_inputs, options);
  if (!second.ok) second.message = "second-order gradcheck failed at " + second.message;
  return second;
}

}  // namespace cajal::autograd

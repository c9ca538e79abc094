#include "cajal/optim/newton.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "cajal/autograd/engine.h"
#include "cajal/autograd/grad_mode.h"
#include "cajal/core/creation.h"
#include "cajal/ops/manipulation.h"

namespace cajal::optim {

namespace {

// d(loss)/d(params), flattened in `dtype`; zeros for parameters the loss does not use.
Tensor flat_gradient(const std::vector<Tensor>& grads, const std::vector<Tensor>& params,
                     Dtype dtype) {
  std::vector<Tensor> pieces;
  pieces.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    pieces.push_back(grads[i].defined() ? grads[i].detach().reshape({-1}).to(dtype)
                                        : zeros({params[i].numel()}, {.dtype = dtype}));
  }
  return cat(pieces).contiguous();
}

// Lower-triangular L with L L^T = A + shift I (A symmetric, row-major n x n); false when that is
// not (numerically) positive definite.
bool cholesky(const std::vector<double>& a, int64_t n, double shift, std::vector<double>& l) {
  l.assign(static_cast<size_t>(n * n), 0.0);
  for (int64_t j = 0; j < n; ++j) {
    double pivot = a[j * n + j] + shift;
    for (int64_t k = 0; k < j; ++k) pivot -= l[j * n + k] * l[j * n + k];
    if (!(pivot > 0) || !std::isfinite(pivot)) return false;
    const double diagonal = std::sqrt(pivot);
    l[j * n + j] = diagonal;
    for (int64_t i = j + 1; i < n; ++i) {
      double value = a[i * n + j];
      for (int64_t k = 0; k < j; ++k) value -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = value / diagonal;
    }
  }
  return true;
}

// Solves L L^T x = b.
std::vector<double> cholesky_solve(const std::vector<double>& l, int64_t n, std::vector<double> b) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < i; ++k) b[i] -= l[i * n + k] * b[k];
    b[i] /= l[i * n + i];
  }
  for (int64_t i = n - 1; i >= 0; --i) {
    for (int64_t k = i + 1; k < n; ++k) b[i] -= l[k * n + i] * b[k];
    b[i] /= l[i * n + i];
  }
  return b;
}

}  // namespace

std::pair<Tensor, Tensor> gradient_and_hessian(const Tensor& loss,
                                               const std::vector<Tensor>& params) {
  if (!loss.defined() || loss.numel() != 1) {
    throw ValueError("gradient_and_hessian: the loss must be one number");
  }
  if (!loss.requires_grad()) {
    throw ValueError(
        "gradient_and_hessian: the loss does not require grad (compute it from the parameters "
        "with grad mode on)");
  }
  int64_t n = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].requires_grad()) {
      throw ValueError("gradient_and_hessian: parameter " + std::to_string(i) +
                       " does not require grad");
    }
    n += params[i].numel();
  }

  std::vector<Tensor> grads;
  {
    enable_grad guard;
    grads = autograd::grad({loss}, params, {}, {.create_graph = true}, /*allow_unused=*/true);
  }
  Tensor gradient = flat_gradient(grads, params, Dtype::float64);

  Tensor hessian = zeros({n, n}, {.dtype = Dtype::float64});
  double* h = hessian.data_ptr<double>();
  // Row r of H is the gradient of g_r, one Hessian-vector product with the unit vector e_r. g_r
  // lives in one parameter's gradient; a gradient without a graph (the loss is linear in that
  // parameter) has zero rows.
  int64_t row = 0;
  for (size_t p = 0; p < params.size(); ++p) {
    const int64_t size = params[p].numel();
    if (!grads[p].defined() || !grads[p].requires_grad()) {
      row += size;
      continue;
    }
    for (int64_t local = 0; local < size; ++local, ++row) {
      Tensor seed = zeros(grads[p].shape(), {.dtype = grads[p].dtype()});
      seed.view({-1}).narrow(0, local, 1).fill_(1);
      std::vector<Tensor> second =
          autograd::grad({grads[p]}, params, {seed}, {.retain_graph = true}, /*allow_unused=*/true);
      const Tensor values = flat_gradient(second, params, Dtype::float64);
      std::copy_n(values.data_ptr<double>(), n, h + row * n);
    }
  }
  // Symmetrize: the two triangles differ by rounding only.
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      const double mean = (h[i * n + j] + h[j * n + i]) / 2;
      h[i * n + j] = mean;
      h[j * n + i] = mean;
    }
  }
  return {gradient, hessian};
}

void NewtonOptions::validate(const std::string& optimizer) const {
  detail::check_positive(optimizer, "lr", lr);
  if (max_iter < 1) {
    throw ValueError(optimizer + ": max_iter must be >= 1, got " + std::to_string(max_iter));
  }
  detail::check_non_negative(optimizer, "tolerance_grad", tolerance_grad);
  detail::check_non_negative(optimizer, "tolerance_change", tolerance_change);
  detail::check_non_negative(optimizer, "damping", damping);
  if (!std::isfinite(damping)) {
    throw ValueError(optimizer + ": damping must be finite, got " + detail::number_text(damping));
  }
  if (max_parameters < 1) {
    throw ValueError(optimizer + ": max_parameters must be >= 1, got " +
                     std::to_string(max_parameters));
  }
  if (!line_search_fn.empty() && line_search_fn != "backtracking" &&
      line_search_fn != "strong_wolfe") {
    throw ValueError(optimizer +
                     ": line_search_fn must be \"\" (none), \"backtracking\" or \"strong_wolfe\", "
                     "got \"" +
                     line_search_fn + "\"");
  }
}

namespace {

void check_size(const std::string& optimizer, int64_t numel, int64_t max_parameters) {
  if (numel > max_parameters) {
    throw ValueError(optimizer + ": the parameters have " + std::to_string(numel) +
                     " elements, more than max_parameters " + std::to_string(max_parameters) +
                     " (the Hessian would be " + std::to_string(numel) + " x " +
                     std::to_string(numel) + "); raise max_parameters or use LBFGS");
  }
}

}  // namespace

Newton::Newton(std::vector<Tensor> params, Options options)
    : FlatOptimizer("Newton", std::move(params), options) {
  check_size(name(), flat_.numel(), param_groups()[0].options.max_parameters);
}

Newton::Newton(std::vector<Group> groups) : FlatOptimizer("Newton", std::move(groups)) {
  check_size(name(), flat_.numel(), param_groups()[0].options.max_parameters);
}

void Newton::update() {
  throw ValueError(name() +
                   ": step needs a closure that computes and returns the loss (without calling "
                   "backward()): opt.step([&] { return loss_fn(model(x), y); })");
}

Tensor Newton::update(const std::function<Tensor()>& closure) {
  const std::vector<Tensor>& params = detail::single_group_params(*this);
  const Options& options = param_groups()[0].options;
  check_size(name(), flat_.numel(), options.max_parameters);
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].requires_grad()) {
      throw ValueError(name() + ": parameter " + std::to_string(i) +
                       " does not require grad (Newton differentiates the loss with respect to "
                       "every parameter)");
    }
  }
  const int64_t n = flat_.numel();
  const Dtype dtype = flat_.dtype();
  no_grad guard;

  // The closure's loss, with a check that it still has its graph.
  auto evaluate = [&]() {
    Tensor loss = detail::evaluate_closure(name(), closure);
    ++func_evals_;
    if (!loss.requires_grad()) {
      throw ValueError(name() +
                       ": the closure's loss does not require grad: compute it from the "
                       "parameters with grad mode on, and do not call backward() in the closure");
    }
    return loss;
  };
  // Differentiation errors from a closure that already ran backward() (its graph is freed).
  auto explain = [&](const Error& error) {
    return ValueError(name() + ": could not differentiate the closure's loss (" + error.what() +
                      "); Newton's closure must return the loss without calling backward()");
  };

  Tensor first_loss;
  for (int64_t iteration = 0; iteration < options.max_iter; ++iteration) {
    Tensor loss = evaluate();
    const double loss_value = loss.item<double>();
    if (!first_loss.defined()) first_loss = loss.detach();
    Tensor gradient, hessian;
    try {
      std::tie(gradient, hessian) = gradient_and_hessian(loss, params);
    } catch (const Error& error) {
      throw explain(error);
    }
    loss = Tensor();  // frees the graph before the line search evaluates again

    if (detail::max_abs(gradient) <= options.tolerance_grad) break;
    ++n_iter_;

    std::vector<double> g = to_vector<double>(gradient);
    std::vector<double> h = to_vector<double>(hessian);
    for (double value : h) {
      if (!std::isfinite(value)) {
        throw ValueError(name() +
                         ": the Hessian has non-finite entries at the current parameters "
                         "(loss " +
                         detail::number_text(loss_value) + ")");
      }
    }
    for (double value : g) {
      if (!std::isfinite(value)) {
        throw ValueError(name() +
                         ": the gradient has non-finite entries at the current "
                         "parameters (loss " +
                         detail::number_text(loss_value) + ")");
      }
    }

    // Damping per Nocedal & Wright, Algorithm 3.3 (see the header).
    double min_diagonal = h[0], mean_abs_diagonal = 0;
    for (int64_t i = 0; i < n; ++i) {
      min_diagonal = std::min(min_diagonal, h[i * n + i]);
      mean_abs_diagonal += std::abs(h[i * n + i]) / static_cast<double>(n);
    }
    const double beta = 1e-3 * (mean_abs_diagonal > 0 ? mean_abs_diagonal : 1.0);
    double lambda = options.damping;
    if (!(min_diagonal + lambda > 0)) lambda = -min_diagonal + beta;
    std::vector<double> factor;
    int attempts = 0;
    while (!cholesky(h, n, lambda, factor)) {
      lambda = std::max(2 * lambda, beta);
      if (++attempts > 2000 || !std::isfinite(lambda)) {
        throw ValueError(name() + ": could not make the Hessian positive definite (damping " +
                         detail::number_text(lambda) + ")");
      }
    }
    last_damping_ = lambda;
    for (double& value : g) value = -value;
    std::vector<double> direction64 = cholesky_solve(factor, n, std::move(g));
    const Tensor direction = from_vector(direction64).to(dtype);
    double gtd = 0;
    {
      const std::vector<double> grad = to_vector<double>(gradient);
      for (int64_t i = 0; i < n; ++i) gtd += grad[i] * direction64[i];
    }

    double step = options.lr;
    double new_loss = std::nan("");
    if (!options.line_search_fn.empty()) {
      const Tensor start_values = flat_.values();
      LineSearchResult result;
      if (options.line_search_fn == "backtracking") {
        auto value = [&](double t) {
          flat_.add_(t, direction);
          const double v = evaluate().item<double>();
          flat_.copy_(start_values);
          return v;
        };
        result = backtracking(value, LineSearchSample{loss_value, gtd, Tensor()}, options.lr);
      } else {
        auto phi = [&](double t) {
          flat_.add_(t, direction);
          Tensor trial = evaluate();
          LineSearchSample sample;
          sample.value = trial.item<double>();
          try {
            sample.gradient = flat_gradient(
                autograd::grad({trial}, params, {}, {}, /*allow_unused=*/true), params, dtype);
          } catch (const Error& error) {
            throw explain(error);
          }
          sample.derivative = detail::dot_value(sample.gradient, direction);
          flat_.copy_(start_values);
          return sample;
        };
        result = strong_wolfe(phi, LineSearchSample{loss_value, gtd, gradient.to(dtype)},
                              options.lr, detail::max_abs(direction));
      }
      step = result.step;
      new_loss = result.sample.value;
    }
    flat_.add_(step, direction);

    if (step == 0 || detail::max_abs(direction) * step <= options.tolerance_change) break;
    if (std::abs(new_loss - loss_value) < options.tolerance_change) break;  // false for NaN
  }
  return first_loss;
}

void Newton::save_extra(StateDict& state) const {
  state.insert("param_groups.0.line_search_fn",
               detail::text_tensor(param_groups()[0].options.line_search_fn));
  detail::save_counts(state, func_evals_, n_iter_);
}

void Newton::load_state_dict(const StateDict& state) {
  const std::string line_search_fn =
      load_text_option(state, "param_groups.0.line_search_fn", &Options::line_search_fn);
  int64_t func_evals = 0, n_iter = 0;
  detail::load_counts(state, name(), func_evals, n_iter);
  const int64_t max_parameters =
      static_cast<int64_t>(detail::option_value(state, "param_groups.0.max_parameters", name()));
  check_size(name(), flat_.numel(), max_parameters);
  OptimizerBase::load_state_dict(state);
  param_groups()[0].options.line_search_fn = line_search_fn;
  func_evals_ = func_evals;
  n_iter_ = n_iter;
}

}  // namespace cajal::optim

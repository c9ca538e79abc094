#include "cajal/optim/line_search.h"

#include <cmath>
#include <sstream>
#include <vector>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/creation.h"
#include "cajal/ops/linalg.h"
#include "cajal/ops/manipulation.h"
#include "cajal/ops/math.h"
#include "cajal/ops/reduction.h"
#include "cajal/optim/optimizer.h"

// Scalar arithmetic exactly as Python evaluates it (no fused multiply-add), so that the trajectory
// follows PyTorch's wherever the tensor math agrees.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace cajal::optim {

namespace {

// Python's max(a, b) and min(a, b): the first argument unless the second is strictly better.
// The tie and NaN behaviour matters for reproducing PyTorch's line search step for step.
double first_max(double a, double b) { return b > a ? b : a; }
double first_min(double a, double b) { return b < a ? b : a; }

// A point of the line search: the step and phi there.
struct Point {
  double step = 0;
  LineSearchSample sample;
};

}  // namespace

void StrongWolfeOptions::validate(const std::string& caller) const {
  if (!(c1 > 0 && c1 < 1)) {
    throw ValueError(caller + ": line search c1 must be in (0, 1), got " + detail::number_text(c1));
  }
  if (!(c2 > c1 && c2 < 1)) {
    throw ValueError(caller + ": line search c2 must be in (c1, 1) = (" + detail::number_text(c1) +
                     ", 1), got " + detail::number_text(c2));
  }
  detail::check_non_negative(caller, "line search tolerance_change", tolerance_change);
  if (max_iterations < 1) {
    throw ValueError(caller + ": line search max_iterations must be >= 1, got " +
                     std::to_string(max_iterations));
  }
}

void BacktrackingOptions::validate(const std::string& caller) const {
  if (!(c1 > 0 && c1 < 1)) {
    throw ValueError(caller + ": line search c1 must be in (0, 1), got " + detail::number_text(c1));
  }
  if (!(shrink > 0 && shrink < 1)) {
    throw ValueError(caller + ": line search shrink must be in (0, 1), got " +
                     detail::number_text(shrink));
  }
  if (max_evaluations < 1) {
    throw ValueError(caller + ": line search max_evaluations must be >= 1, got " +
                     std::to_string(max_evaluations));
  }
}

double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         std::optional<std::pair<double, double>> bounds) {
  double lower = x1 <= x2 ? x1 : x2;
  double upper = x1 <= x2 ? x2 : x1;
  if (bounds) {
    lower = bounds->first;
    upper = bounds->second;
  }
  // The cubic's stationary points solve a quadratic whose discriminant is d2^2; without a real
  // root the cubic is monotone between the points and the bisection point is as good as any.
  const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const double d2_square = d1 * d1 - g1 * g2;
  if (!(d2_square >= 0)) return (lower + upper) / 2.;
  const double d2 = std::sqrt(d2_square);
  // Written from the point farther along, so the formula stays well conditioned.
  double minimizer = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                              : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return first_min(first_max(minimizer, lower), upper);
}

LineSearchResult strong_wolfe(const LineSearchFunction& phi, const LineSearchSample& start,
                              double initial_step, double direction_max_abs,
                              const StrongWolfeOptions& options) {
  options.validate("strong_wolfe");
  const double f0 = start.value;
  const double slope0 = start.derivative;
  // Sufficient decrease (Armijo) and strong curvature tests.
  auto too_high = [&](double step, double value) {
    return value > f0 + options.c1 * step * slope0;
  };
  auto flat_enough = [&](double derivative) {
    return std::abs(derivative) <= -options.c2 * slope0;
  };

  double step = initial_step;
  LineSearchSample current = phi(step);
  int64_t evaluations = 1;

  // Bracketing (Algorithm 3.5): extrapolate until the interval [previous, current] must contain
  // an acceptable step, or the current step is acceptable already.
  Point previous{0, start};
  std::vector<Point> bracket;
  bool done = false;
  int64_t iteration = 0;
  while (iteration < options.max_iterations) {
    if (too_high(step, current.value) ||
        (iteration > 1 && current.value >= previous.sample.value)) {
      bracket = {previous, Point{step, current}};
      break;
    }
    if (flat_enough(current.derivative)) {
      bracket = {Point{step, current}};
      done = true;
      break;
    }
    if (current.derivative >= 0) {
      bracket = {previous, Point{step, current}};
      break;
    }
    // Still descending: extrapolate by cubic interpolation, at least 1% beyond the current step
    // and at most ten times it.
    const double min_step = step + 0.01 * (step - previous.step);
    const double max_step = step * 10;
    const double next =
        cubic_interpolate(previous.step, previous.sample.value, previous.sample.derivative, step,
                          current.value, current.derivative, std::make_pair(min_step, max_step));
    previous = Point{step, current};
    step = next;
    current = phi(step);
    ++evaluations;
    ++iteration;
  }
  if (iteration == options.max_iterations) bracket = {Point{0, start}, Point{step, current}};

  // Zoom (Algorithm 3.6): shrink the bracket around the lower end until the strong Wolfe
  // conditions hold. `low` is the end with the lower value.
  bool insufficient_progress = false;
  size_t low = bracket.front().sample.value <= bracket.back().sample.value ? 0 : 1;
  size_t high = 1 - low;
  while (!done && iteration < options.max_iterations) {
    if (std::abs(bracket[1].step - bracket[0].step) * direction_max_abs <
        options.tolerance_change) {
      break;
    }
    step =
        cubic_interpolate(bracket[0].step, bracket[0].sample.value, bracket[0].sample.derivative,
                          bracket[1].step, bracket[1].sample.value, bracket[1].sample.derivative);
    // Safeguard: a trial within 10% of an end of the bracket shrinks it slowly. Allow that once;
    // the second time in a row (or when the trial is at or beyond an end), move it to 10% inside.
    const double upper = first_max(bracket[0].step, bracket[1].step);
    const double lower = first_min(bracket[0].step, bracket[1].step);
    const double margin = 0.1 * (upper - lower);
    if (first_min(upper - step, step - lower) < margin) {
      if (insufficient_progress || step >= upper || step <= lower) {
        step = std::abs(step - upper) < std::abs(step - lower) ? upper - margin : lower + margin;
        insufficient_progress = false;
      } else {
        insufficient_progress = true;
      }
    } else {
      insufficient_progress = false;
    }

    current = phi(step);
    ++evaluations;
    ++iteration;

    if (too_high(step, current.value) || current.value >= bracket[low].sample.value) {
      bracket[high] = Point{step, current};
      low = bracket[0].sample.value <= bracket[1].sample.value ? 0 : 1;
      high = 1 - low;
    } else {
      if (flat_enough(current.derivative)) {
        done = true;
      } else if (current.derivative * (bracket[high].step - bracket[low].step) >= 0) {
        // The slope at the new point points away from the old high end: keep [new, old low].
        bracket[high] = bracket[low];
      }
      bracket[low] = Point{step, current};
    }
  }

  LineSearchResult result;
  result.step = bracket[low].step;
  result.sample = bracket[low].sample;
  result.evaluations = evaluations;
  result.converged = done;
  return result;
}

LineSearchResult backtracking(const std::function<double(double step)>& value,
                              const LineSearchSample& start, double initial_step,
                              const BacktrackingOptions& options) {
  options.validate("backtracking");
  LineSearchResult result;
  double step = initial_step;
  while (result.evaluations < options.max_evaluations) {
    const double trial = value(step);
    ++result.evaluations;
    if (trial <= start.value + options.c1 * step * start.derivative) {
      result.step = step;
      result.sample.value = trial;
      result.sample.derivative = std::nan("");
      result.converged = true;
      return result;
    }
    step *= options.shrink;
  }
  result.step = 0;
  result.sample = start;
  return result;
}

namespace detail {

FlatParameters::FlatParameters(const std::string& optimizer, std::vector<Tensor> params)
    : params_(std::move(params)) {
  if (params_.empty()) throw ValueError(optimizer + ": no parameters to optimize");
  dtype_ = params_.front().dtype();
  for (const Tensor& param : params_) {
    if (param.dtype() != dtype_) {
      throw ValueError(optimizer + ": all parameters must have one dtype (they form one vector), " +
                       "got " + std::string(dtype_name(dtype_)) + " and " +
                       std::string(dtype_name(param.dtype())));
    }
    numel_ += param.numel();
  }
  if (numel_ == 0) throw ValueError(optimizer + ": the parameters have no elements");
}

Tensor FlatParameters::values() const {
  std::vector<Tensor> pieces;
  pieces.reserve(params_.size());
  for (const Tensor& param : params_) pieces.push_back(param.detach().reshape({-1}));
  return cat(pieces).clone();
}

Tensor FlatParameters::gradient() const {
  std::vector<Tensor> pieces;
  pieces.reserve(params_.size());
  for (const Tensor& param : params_) {
    Tensor grad = param.grad();
    pieces.push_back(grad.defined() ? grad.detach().reshape({-1})
                                    : zeros({param.numel()}, {.dtype = dtype_}));
  }
  return cat(pieces).clone();
}

void FlatParameters::add_(double step, const Tensor& direction) const {
  std::vector<Tensor> pieces = unflatten(direction);
  for (size_t i = 0; i < params_.size(); ++i) params_[i].detach().add_(pieces[i], step);
}

void FlatParameters::copy_(const Tensor& values) const {
  std::vector<Tensor> pieces = unflatten(values);
  for (size_t i = 0; i < params_.size(); ++i) params_[i].detach().copy_(pieces[i]);
}

std::vector<Tensor> FlatParameters::unflatten(const Tensor& flat) const {
  std::vector<Tensor> pieces;
  pieces.reserve(params_.size());
  int64_t offset = 0;
  for (const Tensor& param : params_) {
    pieces.push_back(flat.narrow(0, offset, param.numel()).view(param.shape()));
    offset += param.numel();
  }
  return pieces;
}

Tensor evaluate_closure(const std::string& optimizer, const std::function<Tensor()>& closure) {
  Tensor loss;
  {
    enable_grad guard;
    loss = closure();
  }
  if (!loss.defined()) {
    throw ValueError(optimizer +
                     ": the closure returned an undefined tensor (it must return the "
                     "loss)");
  }
  if (loss.numel() != 1) {
    throw ValueError(optimizer + ": the closure must return the loss, one number; got shape " +
                     shape_string(loss.shape()));
  }
  return loss;
}

double max_abs(const Tensor& x) { return x.abs().max().item<double>(); }
double abs_sum(const Tensor& x) { return x.abs().sum().item<double>(); }
double dot_value(const Tensor& a, const Tensor& b) { return dot(a, b).item<double>(); }

const std::vector<Tensor>& single_group_params(const Optimizer& optimizer) {
  if (optimizer.num_param_groups() != 1) {
    throw ValueError(optimizer.name() +
                     " doesn't support per-parameter options (parameter groups): got " +
                     std::to_string(optimizer.num_param_groups()) + " groups, expected 1");
  }
  return optimizer.params(0);
}

int64_t state_count(const StateDict& state, const std::string& key, const std::string& optimizer) {
  check_key(state, key, optimizer);
  const Tensor& value = state.at(key);
  if (value.numel() != 1) {
    throw ValueError(optimizer + ": load_state_dict: '" + key + "' should hold one number, has " +
                     std::to_string(value.numel()));
  }
  const int64_t count = value.item<int64_t>();
  if (count < 0) {
    throw ValueError(optimizer + ": load_state_dict: '" + key + "' must be >= 0, got " +
                     std::to_string(count));
  }
  return count;
}

Tensor state_tensor(const StateDict& state, const std::string& key, const Shape& shape, Dtype dtype,
                    const std::string& optimizer) {
  check_key(state, key, optimizer);
  const Tensor& value = state.at(key);
  if (value.shape() != shape) {
    throw ValueError(optimizer + ": load_state_dict: '" + key + "' has shape " +
                     shape_string(value.shape()) + ", expected " + shape_string(shape));
  }
  return value.to(dtype).contiguous().clone();
}

Tensor text_tensor(const std::string& text) {
  return from_vector(std::vector<uint8_t>(text.begin(), text.end()));
}

std::string tensor_text(const Tensor& bytes) {
  std::vector<uint8_t> values = to_vector<uint8_t>(bytes);
  return std::string(values.begin(), values.end());
}

std::string text_option(const StateDict& state, const std::string& key,
                        const std::string& optimizer) {
  check_key(state, key, optimizer);
  const Tensor& bytes = state.at(key);
  if (bytes.dtype() != Dtype::uint8 || bytes.dim() != 1) {
    throw ValueError(optimizer + ": load_state_dict: '" + key +
                     "' should be a 1-D uint8 tensor (the option's text), got " +
                     std::string(dtype_name(bytes.dtype())) + " of shape " +
                     shape_string(bytes.shape()));
  }
  return tensor_text(bytes);
}

void save_counts(StateDict& state, int64_t func_evals, int64_t n_iter) {
  if (func_evals == 0 && n_iter == 0) return;
  state.insert("state.func_evals", scalar_tensor(func_evals, Dtype::int64));
  state.insert("state.n_iter", scalar_tensor(n_iter, Dtype::int64));
}

bool load_counts(const StateDict& state, const std::string& optimizer, int64_t& func_evals,
                 int64_t& n_iter) {
  func_evals = 0;
  n_iter = 0;
  if (!state.contains("state.func_evals") && !state.contains("state.n_iter")) return false;
  func_evals = state_count(state, "state.func_evals", optimizer);
  n_iter = state_count(state, "state.n_iter", optimizer);
  return true;
}

bool has_saved_direction(const StateDict& state, int64_t n_iter, const std::string& optimizer,
                         const std::string& what) {
  if (state.contains("state.d")) return true;
  if (n_iter > 0) {
    throw ValueError(optimizer + ": load_state_dict: n_iter is " + std::to_string(n_iter) +
                     " but the " + what + " ('state.d', ...) is missing");
  }
  return false;
}

LineSearchFunction gradient_line_function(const FlatParameters& flat, const std::string& optimizer,
                                          const std::function<Tensor()>& closure,
                                          const Tensor& direction) {
  return [&flat, optimizer, &closure, direction, start_values = flat.values()](double step) {
    flat.add_(step, direction);
    LineSearchSample sample;
    sample.value = evaluate_closure(optimizer, closure).item<double>();
    sample.gradient = flat.gradient();
    sample.derivative = dot_value(sample.gradient, direction);
    flat.copy_(start_values);
    return sample;
  };
}

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace detail
}  // namespace cajal::optim

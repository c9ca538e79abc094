#pragma once
// Line searches for the closure-based optimizers (LBFGS, ConjugateGradient, Newton): given a
// descent direction d at x, pick a step t along phi(t) = f(x + t d).
//
// strong_wolfe is Nocedal & Wright, "Numerical Optimization" (2nd ed., 2006), Algorithms 3.5
// (bracketing) and 3.6 (zoom) with cubic interpolation, in the variant PyTorch's L-BFGS uses (its
// `_strong_wolfe`, itself from Schmidt's minFunc): the same tests, interpolation bounds and
// safeguards, so LBFGS with line_search_fn = "strong_wolfe" follows PyTorch's trajectory.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cajal/core/ordered_dict.h"
#include "cajal/core/tensor.h"
#include "cajal/optim/optimizer.h"

namespace cajal::optim {

// One evaluation of phi at a step t.
struct LineSearchSample {
  double value = 0;       // phi(t) = f(x + t d)
  double derivative = 0;  // phi'(t) = grad f(x + t d) . d
  // Optional payload carried with the sample: the caller's gradient at x + t d (flattened), handed
  // back with the chosen step so the optimizer need not evaluate there again.
  Tensor gradient;
};

struct LineSearchResult {
  double step = 0;          // the chosen t (0 when nothing better than the start was found)
  LineSearchSample sample;  // phi and phi' at `step` (with the gradient payload)
  int64_t evaluations = 0;  // calls of phi made
  // True when `step` satisfies the conditions searched for (strong Wolfe, or Armijo for
  // backtracking); false when the search stopped on its evaluation budget or tolerance.
  bool converged = false;
};

struct StrongWolfeOptions {
  // Sufficient decrease: phi(t) <= phi(0) + c1 t phi'(0).
  double c1 = 1e-4;
  // Curvature: |phi'(t)| <= c2 |phi'(0)|. 0.9 suits quasi-Newton methods; nonlinear conjugate
  // gradient wants a more exact search (c2 = 0.1, Nocedal & Wright section 5.2).
  double c2 = 0.9;
  // The zoom stops when the bracket, measured in parameter change (|t_high - t_low| times
  // direction_max_abs), is narrower than this.
  double tolerance_change = 1e-9;
  // Most bracketing and zoom iterations (PyTorch's max_ls); phi is evaluated at most
  // max_iterations + 1 times.
  int64_t max_iterations = 25;

  // ValueError naming `caller` and the option: 0 < c1 < c2 < 1, tolerance_change >= 0,
  // max_iterations >= 1.
  void validate(const std::string& caller) const;
};

// phi(t) -> value, derivative and (optionally) gradient at x + t d.
using LineSearchFunction = std::function<LineSearchSample(double step)>;

// Minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
// `bounds` (default: the interval between x1 and x2); the midpoint of the bounds when the cubic
// has no real minimizer.
double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         std::optional<std::pair<double, double>> bounds = std::nullopt);

// A step satisfying the strong Wolfe conditions along a descent direction.
//   phi: evaluates a trial step (the caller restores x afterwards);
//   start: phi(0) and phi'(0) (< 0 for a descent direction), with the gradient at x;
//   initial_step: the first trial t (> 0);
//   direction_max_abs: max |d_i|, the scale that turns a step width into a parameter change.
// Returns the best step found (the lowest point of the final bracket, possibly 0 = start).
LineSearchResult strong_wolfe(const LineSearchFunction& phi, const LineSearchSample& start,
                              double initial_step, double direction_max_abs,
                              const StrongWolfeOptions& options = {});

struct BacktrackingOptions {
  double c1 = 1e-4;              // sufficient decrease (Armijo) constant, in (0, 1)
  double shrink = 0.5;           // t <- shrink * t after each rejected trial, in (0, 1)
  int64_t max_evaluations = 25;  // >= 1

  void validate(const std::string& caller) const;
};

// Armijo backtracking (Nocedal & Wright, Algorithm 3.1): tries t = initial_step, shrink * t, ...
// until value(t) <= start.value + c1 t start.derivative. Only values are evaluated; the result's
// sample has the value at the chosen step and no derivative or gradient. When no trial is
// accepted within the budget the step is 0 (the start) and converged is false.
LineSearchResult backtracking(const std::function<double(double step)>& value,
                              const LineSearchSample& start, double initial_step,
                              const BacktrackingOptions& options = {});

namespace detail {
// The parameters of a closure-based optimizer seen as one flat vector, PyTorch's L-BFGS layout:
// the parameters in order, each flattened row-major. All must share one floating dtype
// (ValueError naming the optimizer and both dtypes otherwise). Call the mutating members under
// no_grad.
class FlatParameters {
 public:
  FlatParameters(const std::string& optimizer, std::vector<Tensor> params);

  int64_t numel() const { return numel_; }
  Dtype dtype() const { return dtype_; }
  const std::vector<Tensor>& params() const { return params_; }

  Tensor values() const;    // [numel], a copy
  Tensor gradient() const;  // [numel]; zeros for parameters whose grad() is undefined
  void add_(double step, const Tensor& direction) const;  // p += step * direction, [numel]
  void copy_(const Tensor& values) const;                 // p = values, [numel]
  // Views of `flat` ([numel]) shaped like each parameter.
  std::vector<Tensor> unflatten(const Tensor& flat) const;

 private:
  std::vector<Tensor> params_;
  int64_t numel_ = 0;
  Dtype dtype_ = Dtype::float32;
};

// Calls the closure with grad mode on. ValueError naming the optimizer when it returns an
// undefined tensor or one with more than one element.
Tensor evaluate_closure(const std::string& optimizer, const std::function<Tensor()>& closure);

// max |x_i| and sum |x_i| of a 1-D tensor, as doubles.
double max_abs(const Tensor& x);
double abs_sum(const Tensor& x);
double dot_value(const Tensor& a, const Tensor& b);

// The parameters of an optimizer that accepts one parameter group only (they form one vector):
// ValueError "<name> doesn't support per-parameter options (parameter groups): got N groups".
const std::vector<Tensor>& single_group_params(const Optimizer& optimizer);

// Reading optimizer-wide state written by save_extra: a count (int64 [] >= 0) or a tensor of
// exactly `shape`, converted to `dtype`. ValueError naming the key when missing or malformed.
int64_t state_count(const StateDict& state, const std::string& key, const std::string& optimizer);
Tensor state_tensor(const StateDict& state, const std::string& key, const Shape& shape, Dtype dtype,
                    const std::string& optimizer);

// The optimizer-wide counters of the closure-based optimizers: "state.func_evals" and
// "state.n_iter" (int64 []). save_counts writes nothing before the first step (as PyTorch);
// load_counts reads both when either is present (ValueError naming the key when malformed) and
// returns false, leaving the outputs at 0, when neither is.
void save_counts(StateDict& state, int64_t func_evals, int64_t n_iter);
bool load_counts(const StateDict& state, const std::string& optimizer, int64_t& func_evals,
                 int64_t& n_iter);
// Whether `state` holds a saved direction ("state.d"). ValueError "<optimizer>: load_state_dict:
// n_iter is N but the <what> ('state.d', ...) is missing" when it does not although n_iter > 0.
bool has_saved_direction(const StateDict& state, int64_t n_iter, const std::string& optimizer,
                         const std::string& what);

// phi(t) for a line search along `direction` ([numel]) from the current parameters, for closures
// that call backward(): moves the parameters to x + t d, evaluates the closure, reads the
// gradient, and restores x. `flat` and `closure` must outlive the returned function.
LineSearchFunction gradient_line_function(const FlatParameters& flat, const std::string& optimizer,
                                          const std::function<Tensor()>& closure,
                                          const Tensor& direction);

// `value` as an ostream writes it (6 significant digits: "0.5", "1e-05"), for error messages.
std::string number_text(double value);

// line_search_fn ("" for none, "strong_wolfe", ...) is saved in optimizer state dicts as a uint8
// tensor of its bytes, since state dicts hold tensors only.
Tensor text_tensor(const std::string& text);
std::string tensor_text(const Tensor& bytes);
// The string option `key` of `state`; ValueError naming the key when it is missing or not a 1-D
// uint8 tensor.
std::string text_option(const StateDict& state, const std::string& key,
                        const std::string& optimizer);

// The base of the optimizers over one flat parameter vector: one parameter group, no
// add_param_group, and the FlatParameters view `flat_` built at construction.
template <typename Options>
class FlatOptimizer : public OptimizerBase<Options> {
 public:
  using Group = typename OptimizerBase<Options>::Group;

  // Always ValueError: the parameters form one vector, so there is one parameter group.
  void add_param_group(Group /*group*/) {
    throw ValueError(this->name() +
                     " doesn't support per-parameter options (parameter groups): it optimizes "
                     "one flat vector, so add_param_group is not available");
  }

 protected:
  FlatOptimizer(std::string name, std::vector<Tensor> params, Options options)
      : OptimizerBase<Options>(std::move(name), std::move(params), std::move(options)),
        flat_(this->name(), single_group_params(*this)) {}
  // Exactly one group; ValueError otherwise.
  FlatOptimizer(std::string name, std::vector<Group> groups)
      : OptimizerBase<Options>(std::move(name), std::move(groups)),
        flat_(this->name(), single_group_params(*this)) {}

  // For load_state_dict: the string option saved under `key` (as text_option reads it), checked
  // with the current options (ValueError naming the option and value otherwise). Changes nothing.
  std::string load_text_option(const StateDict& state, const std::string& key,
                               std::string Options::*option) const {
    Options options = this->param_groups()[0].options;
    options.*option = text_option(state, key, this->name());
    options.validate(this->name());
    return options.*option;
  }

  // The ValueError step() without a closure raises, for closures that call backward().
  [[noreturn]] void throw_needs_backward_closure() const {
    throw ValueError(this->name() +
                     ": step needs a closure that clears the gradients, computes the loss, calls "
                     "backward() and returns the loss: opt.step([&] { ... })");
  }

  FlatParameters flat_;
};
}  // namespace detail

}  // namespace cajal::optim

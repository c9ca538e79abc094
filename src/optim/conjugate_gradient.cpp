#include "cajal/optim/conjugate_gradient.h"

#include <cmath>
#include <sstream>

#include "cajal/autograd/grad_mode.h"

namespace cajal::optim {

namespace {

std::string number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

void ConjugateGradientOptions::validate(const std::string& optimizer) const {
  detail::check_positive(optimizer, "lr", lr);
  if (max_iter < 1) {
    throw ValueError(optimizer + ": max_iter must be >= 1, got " + std::to_string(max_iter));
  }
  if (max_eval < 0) {
    throw ValueError(optimizer + ": max_eval must be >= 0 (0: no limit), got " +
                     std::to_string(max_eval));
  }
  detail::check_non_negative(optimizer, "tolerance_grad", tolerance_grad);
  detail::check_non_negative(optimizer, "tolerance_change", tolerance_change);
  if (beta != "polak_ribiere" && beta != "fletcher_reeves") {
    throw ValueError(optimizer + ": beta must be \"polak_ribiere\" or \"fletcher_reeves\", got \"" +
                     beta + "\"");
  }
  if (restart_every < 0) {
    throw ValueError(optimizer +
                     ": restart_every must be >= 0 (0: the number of parameters), got " +
                     std::to_string(restart_every));
  }
  if (!(c1 > 0 && c1 < 1)) {
    throw ValueError(optimizer + ": c1 must be in (0, 1), got " + number(c1));
  }
  if (!(c2 > c1 && c2 < 1)) {
    throw ValueError(optimizer + ": c2 must be in (c1, 1) = (" + number(c1) + ", 1), got " +
                     number(c2));
  }
}

ConjugateGradient::ConjugateGradient(std::vector<Tensor> params, Options options)
    : OptimizerBase("ConjugateGradient", std::move(params), options),
      flat_(name(), detail::single_group_params(*this)) {}

ConjugateGradient::ConjugateGradient(std::vector<Group> groups)
    : OptimizerBase("ConjugateGradient", std::move(groups)),
      flat_(name(), detail::single_group_params(*this)) {}

void ConjugateGradient::add_param_group(Group /*group*/) {
  throw ValueError(name() +
                   " doesn't support per-parameter options (parameter groups): it optimizes one "
                   "flat vector, so add_param_group is not available");
}

void ConjugateGradient::update() {
  throw ValueError(name() +
                   ": step needs a closure that clears the gradients, computes the loss, calls "
                   "backward() and returns the loss: opt.step([&] { ... })");
}

Tensor ConjugateGradient::update(const std::function<Tensor()>& closure) {
  detail::single_group_params(*this);
  const Options& options = param_groups()[0].options;
  const int64_t restart_every = options.restart_every > 0 ? options.restart_every : flat_.numel();
  const bool polak_ribiere = options.beta == "polak_ribiere";
  const StrongWolfeOptions search{
      .c1 = options.c1, .c2 = options.c2, .tolerance_change = options.tolerance_change};
  History& h = history_;
  no_grad guard;

  const Tensor first_loss = detail::evaluate_closure(name(), closure);
  double loss = first_loss.item<double>();
  int64_t evaluations = 1;
  h.func_evals += 1;
  Tensor flat_grad = flat_.gradient();
  if (detail::max_abs(flat_grad) <= options.tolerance_grad) return first_loss;

  int64_t iteration = 0;
  while (iteration < options.max_iter) {
    ++iteration;
    ++h.n_iter;

    bool restart = !h.d.defined() || h.since_restart >= restart_every;
    if (!restart) {
      const double previous_norm = detail::dot_value(h.prev_flat_grad, h.prev_flat_grad);
      double beta = polak_ribiere ? detail::dot_value(flat_grad, sub(flat_grad, h.prev_flat_grad)) /
                                        previous_norm
                                  : detail::dot_value(flat_grad, flat_grad) / previous_norm;
      if (polak_ribiere && !(beta > 0)) beta = 0;
      Tensor direction = add(neg(flat_grad), h.d, beta);
      // Fletcher-Reeves with an inexact search, or any formula after a failed search, can
      // produce an ascent direction: fall back to steepest descent.
      if (std::isfinite(beta) && detail::dot_value(flat_grad, direction) < 0) {
        h.d = direction;
      } else {
        restart = true;
      }
    }
    if (restart) {
      h.d = neg(flat_grad);
      h.since_restart = 0;
      ++restarts_;
    }
    const double gtd = detail::dot_value(flat_grad, h.d);

    // Initial trial step: the previous step rescaled so the predicted first-order decrease is the
    // same (Nocedal & Wright, eq. 3.60); on the first iteration or after a failed search, lr
    // scaled by min(1, 1 / |g|_1) as LBFGS does.
    double initial_step = h.t > 0 && h.gtd < 0 ? h.t * h.gtd / gtd : 0;
    if (!(initial_step > 0) || !std::isfinite(initial_step)) {
      const double inverse = 1. / detail::abs_sum(flat_grad);
      initial_step = (inverse < 1. ? inverse : 1.) * options.lr;
    }
    h.prev_flat_grad = flat_grad.clone();
    h.gtd = gtd;
    const double previous_loss = loss;
    if (gtd > -options.tolerance_change) {
      h.t = 0;
      break;
    }

    const Tensor start_values = flat_.values();
    const Tensor direction = h.d;
    auto phi = [&](double step) {
      flat_.add_(step, direction);
      LineSearchSample sample;
      sample.value = detail::evaluate_closure(name(), closure).item<double>();
      sample.gradient = flat_.gradient();
      sample.derivative = detail::dot_value(sample.gradient, direction);
      flat_.copy_(start_values);
      return sample;
    };
    LineSearchResult result = strong_wolfe(phi, LineSearchSample{loss, gtd, flat_grad},
                                           initial_step, detail::max_abs(direction), search);
    loss = result.sample.value;
    flat_grad = result.sample.gradient;
    h.t = result.step;
    flat_.add_(h.t, h.d);
    ++h.since_restart;
    evaluations += result.evaluations;
    h.func_evals += result.evaluations;

    if (iteration == options.max_iter) break;
    if (options.max_eval > 0 && evaluations >= options.max_eval) break;
    if (detail::max_abs(flat_grad) <= options.tolerance_grad) break;
    if (detail::max_abs(h.d * h.t) <= options.tolerance_change) break;
    if (std::abs(loss - previous_loss) < options.tolerance_change) break;
  }
  return first_loss;
}

void ConjugateGradient::save_extra(StateDict& state) const {
  state.insert("param_groups.0.beta", detail::text_tensor(param_groups()[0].options.beta));
  const History& h = history_;
  if (h.func_evals == 0 && h.n_iter == 0) return;
  state.insert("state.func_evals", scalar_tensor(h.func_evals, Dtype::int64));
  state.insert("state.n_iter", scalar_tensor(h.n_iter, Dtype::int64));
  if (!h.d.defined()) return;
  state.insert("state.d", h.d.clone());
  state.insert("state.prev_flat_grad", h.prev_flat_grad.clone());
  state.insert("state.t", detail::option_tensor(h.t));
  state.insert("state.gtd", detail::option_tensor(h.gtd));
  state.insert("state.since_restart", scalar_tensor(h.since_restart, Dtype::int64));
}

ConjugateGradient::History ConjugateGradient::parse_history(const StateDict& state) const {
  History h;
  if (!state.contains("state.func_evals") && !state.contains("state.n_iter")) return h;
  h.func_evals = detail::state_count(state, "state.func_evals", name());
  h.n_iter = detail::state_count(state, "state.n_iter", name());
  if (!state.contains("state.d")) {
    if (h.n_iter > 0) {
      throw ValueError(name() + ": load_state_dict: n_iter is " + std::to_string(h.n_iter) +
                       " but the direction ('state.d', ...) is missing");
    }
    return h;
  }
  const int64_t n = flat_.numel();
  h.d = detail::state_tensor(state, "state.d", {n}, flat_.dtype(), name());
  h.prev_flat_grad =
      detail::state_tensor(state, "state.prev_flat_grad", {n}, flat_.dtype(), name());
  h.t = detail::option_value(state, "state.t", name());
  h.gtd = detail::option_value(state, "state.gtd", name());
  h.since_restart = detail::state_count(state, "state.since_restart", name());
  return h;
}

void ConjugateGradient::load_state_dict(const StateDict& state) {
  Options options = param_groups()[0].options;
  options.beta = detail::text_option(state, "param_groups.0.beta", name());
  options.validate(name());
  History history = parse_history(state);
  OptimizerBase::load_state_dict(state);
  param_groups()[0].options.beta = options.beta;
  history_ = std::move(history);
}

}  // namespace cajal::optim

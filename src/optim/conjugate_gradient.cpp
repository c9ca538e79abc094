#include "cajal/optim/conjugate_gradient.h"

#include <cmath>

#include "cajal/autograd/grad_mode.h"

namespace cajal::optim {

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
    throw ValueError(optimizer + ": c1 must be in (0, 1), got " + detail::number_text(c1));
  }
  if (!(c2 > c1 && c2 < 1)) {
    throw ValueError(optimizer + ": c2 must be in (c1, 1) = (" + detail::number_text(c1) +
                     ", 1), got " + detail::number_text(c2));
  }
}

ConjugateGradient::ConjugateGradient(std::vector<Tensor> params, Options options)
    : FlatOptimizer("ConjugateGradient", std::move(params), options) {}

ConjugateGradient::ConjugateGradient(std::vector<Group> groups)
    : FlatOptimizer("ConjugateGradient", std::move(groups)) {}

void ConjugateGradient::update() { throw_needs_backward_closure(); }

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

    LineSearchResult result = strong_wolfe(
        detail::gradient_line_function(flat_, name(), closure, h.d),
        LineSearchSample{loss, gtd, flat_grad}, initial_step, detail::max_abs(h.d), search);
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
  detail::save_counts(state, h.func_evals, h.n_iter);
  if (!h.d.defined()) return;
  state.insert("state.d", h.d.clone());
  state.insert("state.prev_flat_grad", h.prev_flat_grad.clone());
  state.insert("state.t", detail::option_tensor(h.t));
  state.insert("state.gtd", detail::option_tensor(h.gtd));
  state.insert("state.since_restart", scalar_tensor(h.since_restart, Dtype::int64));
}

ConjugateGradient::History ConjugateGradient::parse_history(const StateDict& state) const {
  History h;
  if (!detail::load_counts(state, name(), h.func_evals, h.n_iter)) return h;
  if (!detail::has_saved_direction(state, h.n_iter, name(), "direction")) return h;
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
  const std::string beta = load_text_option(state, "param_groups.0.beta", &Options::beta);
  History history = parse_history(state);
  OptimizerBase::load_state_dict(state);
  param_groups()[0].options.beta = beta;
  history_ = std::move(history);
}

}  // namespace cajal::optim

#include "cajal/optim/lbfgs.h"

#include <cmath>

#include "cajal/autograd/grad_mode.h"
#include "cajal/ops/manipulation.h"

// Scalar arithmetic exactly as Python evaluates it (no fused multiply-add), so that the trajectory
// follows PyTorch's wherever the tensor math agrees.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace cajal::optim {

namespace {

LBFGSOptions with_default_max_eval(LBFGSOptions options) {
  if (options.max_eval == 0) options.max_eval = options.max_iter * 5 / 4;
  return options;
}

std::vector<ParamGroup<LBFGSOptions>> with_default_max_eval(
    std::vector<ParamGroup<LBFGSOptions>> groups) {
  for (auto& group : groups) group.options = with_default_max_eval(group.options);
  return groups;
}

}  // namespace

void LBFGSOptions::validate(const std::string& optimizer) const {
  detail::check_non_negative(optimizer, "lr", lr);
  if (max_iter < 1) {
    throw ValueError(optimizer + ": max_iter must be >= 1, got " + std::to_string(max_iter));
  }
  if (max_eval < 1) {
    throw ValueError(optimizer + ": max_eval must be >= 1 (0 at construction means max_iter * " +
                     "5 / 4), got " + std::to_string(max_eval));
  }
  detail::check_non_negative(optimizer, "tolerance_grad", tolerance_grad);
  detail::check_non_negative(optimizer, "tolerance_change", tolerance_change);
  if (history_size < 1) {
    throw ValueError(optimizer + ": history_size must be >= 1, got " +
                     std::to_string(history_size));
  }
  if (!line_search_fn.empty() && line_search_fn != "strong_wolfe") {
    throw ValueError(optimizer +
                     ": line_search_fn must be \"\" (none) or \"strong_wolfe\", got \"" +
                     line_search_fn + "\"");
  }
}

LBFGS::LBFGS(std::vector<Tensor> params, Options options)
    : FlatOptimizer("LBFGS", std::move(params), with_default_max_eval(options)) {}

LBFGS::LBFGS(std::vector<Group> groups)
    : FlatOptimizer("LBFGS", with_default_max_eval(std::move(groups))) {}

void LBFGS::update() { throw_needs_backward_closure(); }

Tensor LBFGS::update(const std::function<Tensor()>& closure) {
  detail::single_group_params(*this);
  const Options& options = param_groups()[0].options;
  const bool strong_wolfe_search = options.line_search_fn == "strong_wolfe";
  History& h = history_;
  no_grad guard;

  const Tensor first_loss = detail::evaluate_closure(name(), closure);
  double loss = first_loss.item<double>();
  int64_t evaluations = 1;
  h.func_evals += 1;

  Tensor flat_grad = flat_.gradient();
  bool optimal = detail::max_abs(flat_grad) <= options.tolerance_grad;
  if (optimal) return first_loss;

  int64_t iteration = 0;
  while (iteration < options.max_iter) {
    ++iteration;
    ++h.n_iter;

    // The direction: steepest descent on the very first iteration, else the two-loop recursion
    // (Nocedal & Wright, Algorithm 7.4) over the stored pairs.
    if (h.n_iter == 1) {
      h.d = neg(flat_grad);
      h.old_dirs.clear();
      h.old_stps.clear();
      h.ro.clear();
      h.H_diag = 1;
    } else {
      Tensor y = sub(flat_grad, h.prev_flat_grad);
      Tensor s = h.d * h.t;
      const double ys = detail::dot_value(y, s);
      // A pair is kept only with positive curvature, which keeps the implicit inverse Hessian
      // positive definite.
      if (ys > 1e-10) {
        if (static_cast<int64_t>(h.old_dirs.size()) == options.history_size) {
          h.old_dirs.erase(h.old_dirs.begin());
          h.old_stps.erase(h.old_stps.begin());
          h.ro.erase(h.ro.begin());
        }
        h.old_dirs.push_back(y);
        h.old_stps.push_back(s);
        h.ro.push_back(1. / ys);
        h.H_diag = ys / detail::dot_value(y, y);
      }
      const size_t count = h.old_dirs.size();
      std::vector<double> alpha(count);
      Tensor q = neg(flat_grad);
      for (size_t k = count; k-- > 0;) {
        alpha[k] = detail::dot_value(h.old_stps[k], q) * h.ro[k];
        q.add_(h.old_dirs[k], -alpha[k]);
      }
      Tensor r = q * h.H_diag;
      for (size_t k = 0; k < count; ++k) {
        const double beta = detail::dot_value(h.old_dirs[k], r) * h.ro[k];
        r.add_(h.old_stps[k], alpha[k] - beta);
      }
      h.d = r;
    }
    h.prev_flat_grad = flat_grad.clone();
    h.prev_loss = loss;

    // The first iteration ever has no curvature information: keep its step at most 1 / |g|_1.
    if (h.n_iter == 1) {
      const double inverse = 1. / detail::abs_sum(flat_grad);
      h.t = (inverse < 1. ? inverse : 1.) * options.lr;
    } else {
      h.t = options.lr;
    }

    const double gtd = detail::dot_value(flat_grad, h.d);
    if (gtd > -options.tolerance_change) break;  // not a (sufficient) descent direction

    int64_t search_evaluations = 0;
    if (strong_wolfe_search) {
      LineSearchResult result =
          strong_wolfe(detail::gradient_line_function(flat_, name(), closure, h.d),
                       LineSearchSample{loss, gtd, flat_grad}, h.t, detail::max_abs(h.d));
      loss = result.sample.value;
      flat_grad = result.sample.gradient;
      h.t = result.step;
      search_evaluations = result.evaluations;
      flat_.add_(h.t, h.d);
      optimal = detail::max_abs(flat_grad) <= options.tolerance_grad;
    } else {
      flat_.add_(h.t, h.d);
      // The last iteration skips the evaluation: the next step() starts with one anyway.
      if (iteration != options.max_iter) {
        loss = detail::evaluate_closure(name(), closure).item<double>();
        flat_grad = flat_.gradient();
        optimal = detail::max_abs(flat_grad) <= options.tolerance_grad;
        search_evaluations = 1;
      }
    }
    evaluations += search_evaluations;
    h.func_evals += search_evaluations;

    if (iteration == options.max_iter) break;
    if (evaluations >= options.max_eval) break;
    if (optimal) break;
    if (detail::max_abs(h.d * h.t) <= options.tolerance_change) break;
    if (std::abs(loss - h.prev_loss) < options.tolerance_change) break;
  }
  return first_loss;
}

void LBFGS::save_extra(StateDict& state) const {
  state.insert("param_groups.0.line_search_fn",
               detail::text_tensor(param_groups()[0].options.line_search_fn));
  const History& h = history_;
  detail::save_counts(state, h.func_evals, h.n_iter);
  if (!h.d.defined()) return;
  const int64_t count = static_cast<int64_t>(h.old_dirs.size());
  auto rows = [&](const std::vector<Tensor>& vectors) {
    return count == 0 ? zeros({0, flat_.numel()}, {.dtype = flat_.dtype()}) : stack(vectors);
  };
  state.insert("state.d", h.d.clone());
  state.insert("state.t", detail::option_tensor(h.t));
  state.insert("state.old_dirs", rows(h.old_dirs));
  state.insert("state.old_stps", rows(h.old_stps));
  state.insert("state.ro", from_vector(h.ro));
  state.insert("state.H_diag", detail::option_tensor(h.H_diag));
  state.insert("state.prev_flat_grad", h.prev_flat_grad.clone());
  state.insert("state.prev_loss", detail::option_tensor(h.prev_loss));
}

LBFGS::History LBFGS::parse_history(const StateDict& state) const {
  History h;
  if (!detail::load_counts(state, name(), h.func_evals, h.n_iter)) return h;
  if (!detail::has_saved_direction(state, h.n_iter, name(), "history")) return h;
  const int64_t n = flat_.numel();
  const Dtype dtype = flat_.dtype();
  h.d = detail::state_tensor(state, "state.d", {n}, dtype, name());
  h.prev_flat_grad = detail::state_tensor(state, "state.prev_flat_grad", {n}, dtype, name());
  h.t = detail::option_value(state, "state.t", name());
  h.H_diag = detail::option_value(state, "state.H_diag", name());
  h.prev_loss = detail::option_value(state, "state.prev_loss", name());

  detail::check_key(state, "state.ro", name());
  const Tensor& ro = state.at("state.ro");
  if (ro.dim() != 1) {
    throw ValueError(name() + ": load_state_dict: 'state.ro' must be 1-D, got shape " +
                     shape_string(ro.shape()));
  }
  const int64_t count = ro.numel();
  const double history_size = detail::option_value(state, "param_groups.0.history_size", name());
  if (static_cast<double>(count) > history_size) {
    throw ValueError(name() + ": load_state_dict: the history holds " + std::to_string(count) +
                     " pairs, more than history_size " +
                     std::to_string(static_cast<int64_t>(history_size)));
  }
  h.ro = to_vector<double>(ro);
  const Tensor dirs = detail::state_tensor(state, "state.old_dirs", {count, n}, dtype, name());
  const Tensor stps = detail::state_tensor(state, "state.old_stps", {count, n}, dtype, name());
  for (int64_t k = 0; k < count; ++k) {
    h.old_dirs.push_back(dirs.select(0, k).clone());
    h.old_stps.push_back(stps.select(0, k).clone());
  }
  return h;
}

void LBFGS::load_state_dict(const StateDict& state) {
  // Everything is checked before anything changes.
  const std::string line_search_fn =
      load_text_option(state, "param_groups.0.line_search_fn", &Options::line_search_fn);
  History history = parse_history(state);
  OptimizerBase::load_state_dict(state);
  param_groups()[0].options.line_search_fn = line_search_fn;
  history_ = std::move(history);
}

}  // namespace cajal::optim

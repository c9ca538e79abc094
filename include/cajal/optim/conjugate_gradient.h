#pragma once
// Nonlinear conjugate gradient (Nocedal & Wright, "Numerical Optimization", 2nd ed., 2006,
// section 5.2): each direction is the negative gradient plus beta times the previous direction,
// d_k = -g_k + beta_k d_{k-1}, followed by a strong-Wolfe line search. On a quadratic with exact
// line searches it is linear conjugate gradient and finishes in at most n iterations; on other
// functions it needs only gradients and two vectors of memory.
//
//   beta = "fletcher_reeves": beta_k = (g_k . g_k) / (g_{k-1} . g_{k-1})        (Fletcher & Reeves,
//          1964; a descent method when c2 < 1/2)
//   beta = "polak_ribiere":   beta_k = max(0, g_k . (g_k - g_{k-1}) / (g_{k-1} . g_{k-1}))
//          (PR+, Polak & Ribiere 1969 with Powell's 1986 clipping: restarts by itself when the
//          search stalls; the default)
//
// The direction restarts as steepest descent every restart_every iterations, and whenever the
// formula does not give a descent direction (g . d >= 0).
//
// Like LBFGS, step() needs a closure that clears the gradients, computes the loss, calls
// backward() and returns the loss; one step runs up to max_iter iterations:
//
//   optim::ConjugateGradient opt(model.parameters(), {.beta = "fletcher_reeves"});
//   opt.step([&] { opt.zero_grad(); Tensor loss = criterion(model(x), y); loss.backward();
//                  return loss; });
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cajal/optim/line_search.h"
#include "cajal/optim/optimizer.h"

namespace cajal::optim {

struct ConjugateGradientOptions {
  // The first trial step of the very first line search is lr * min(1, 1 / sum |grad|); later
  // searches start from t_{k-1} (g_{k-1} . d_{k-1}) / (g_k . d_k) (Nocedal & Wright, eq. 3.60),
  // which assumes the first-order change is the same as in the previous iteration.
  double lr = 1;
  int64_t max_iter = 20;  // iterations (line searches) per step()
  int64_t max_eval = 0;   // closure calls per step(); 0: no limit beyond max_iter
  // step() stops early when max |grad| <= tolerance_grad, or when the loss or the parameters
  // change by less than tolerance_change (also the line search's bracket tolerance).
  double tolerance_grad = 1e-7;
  double tolerance_change = 1e-9;
  std::string beta = "polak_ribiere";  // or "fletcher_reeves"
  // Steepest-descent restart every this many iterations; 0 means n, the number of parameter
  // elements (the classic choice: n conjugate directions span the space).
  int64_t restart_every = 0;
  // Strong Wolfe constants of the line search, 0 < c1 < c2 < 1. c2 = 0.1 makes the search fairly
  // exact, as conjugacy needs (Nocedal & Wright, section 5.2).
  double c1 = 1e-4;
  double c2 = 0.1;

  // ValueError naming the option and value.
  void validate(const std::string& optimizer) const;
  // The numeric options (beta is saved separately: state dicts hold tensors).
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("max_iter", max_iter);
    f("max_eval", max_eval);
    f("tolerance_grad", tolerance_grad);
    f("tolerance_change", tolerance_change);
    f("restart_every", restart_every);
    f("c1", c1);
    f("c2", c2);
  }
};

// State dict: options ("param_groups.0.*", beta as its bytes in uint8) and, once step() has run,
// "state.func_evals", "state.n_iter" (int64 []) and, after the first iteration, "state.d" and
// "state.prev_flat_grad" ([n], the parameters' dtype), "state.t" and "state.gtd" (the last step
// and directional derivative, float64 []) and "state.since_restart" (int64 []). Loading it into a
// fresh ConjugateGradient over the same parameters makes the next step identical bit for bit.
// add_param_group always raises ValueError: the parameters form one vector, so there is one
// parameter group.
class ConjugateGradient : public detail::FlatOptimizer<ConjugateGradientOptions> {
 public:
  using Options = ConjugateGradientOptions;
  explicit ConjugateGradient(std::vector<Tensor> params, Options options = {});
  // Exactly one group; ValueError otherwise.
  explicit ConjugateGradient(std::vector<Group> groups);

  // Validates the whole dict before changing anything.
  void load_state_dict(const StateDict& state) override;

  int64_t func_evals() const { return history_.func_evals; }  // closure calls, all steps
  int64_t n_iter() const { return history_.n_iter; }          // iterations, all steps
  int64_t restarts() const { return restarts_; }  // steepest-descent restarts (not saved)

 protected:
  // ValueError: conjugate gradient needs a closure.
  void update() override;
  Tensor update(const std::function<Tensor()>& closure) override;
  void save_extra(StateDict& state) const override;

 private:
  struct History {
    int64_t func_evals = 0;
    int64_t n_iter = 0;
    Tensor d;               // last direction, [n]
    Tensor prev_flat_grad;  // gradient where d was chosen, [n]
    double t = 0;           // last accepted step
    double gtd = 0;         // g . d where d was chosen
    int64_t since_restart = 0;
  };
  History parse_history(const StateDict& state) const;

  History history_;
  int64_t restarts_ = 0;
};

}  // namespace cajal::optim

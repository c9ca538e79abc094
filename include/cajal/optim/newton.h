#pragma once
// Newton's method with the exact Hessian, for small models (up to max_parameters elements, 4096
// by default: the Hessian has n^2 entries and costs n Hessian-vector products per iteration).
// Each iteration differentiates the loss twice (double backward), builds the n x n Hessian H
// row by row, and solves (H + lambda I) d = -g by Cholesky factorization:
//
//   lambda starts at `damping` (0: the pure Newton step). When H + lambda I is not positive
//   definite (a saddle, a concave region, a singular H), lambda grows until the factorization
//   succeeds: to -min_i H_ii + beta when the diagonal is not positive, then doubling (at least to
//   beta), with beta = 1e-3 times the mean |H_ii| (Nocedal & Wright, "Numerical Optimization",
//   2nd ed., 2006, Algorithm 3.3). A damped step lies between the Newton and the gradient
//   direction (Levenberg-Marquardt), always a descent direction. lambda restarts from `damping`
//   at every iteration; last_damping() reports the value used last.
//
// The step along d is lr (1: the full Newton step), or chosen by a line search: "backtracking"
// (Armijo, halving from lr, at most 25 tries) or "strong_wolfe" (c1 = 1e-4, c2 = 0.9).
//
// THE CLOSURE IS DIFFERENT FROM LBFGS's: it computes and returns the loss WITHOUT calling
// backward(). Newton differentiates the returned loss itself (twice), so the loss must still
// carry its graph; the parameters' grad() is neither read nor written. The closure is called
// with grad mode on.
//
//   optim::Newton opt(model.parameters(), {.line_search_fn = "backtracking"});
//   for (int i = 0; i < 10; ++i) {
//     opt.step([&] { return nn::functional::binary_cross_entropy_with_logits(model(x), y); });
//   }
//
// Convergence is quadratic near a minimum with a positive definite Hessian: the number of correct
// digits roughly doubles per iteration.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cajal/optim/line_search.h"
#include "cajal/optim/optimizer.h"

namespace cajal::optim {

struct NewtonOptions {
  double lr = 1;                   // the step along the Newton direction (first trial step)
  int64_t max_iter = 1;            // Newton iterations per step()
  double tolerance_grad = 1e-7;    // stop when max |grad| <= this
  double tolerance_change = 1e-9;  // ... or when the parameters or loss change less than this
  double damping = 0;              // initial lambda in (H + lambda I) d = -g, >= 0
  int64_t max_parameters = 4096;   // refuse larger models (ValueError at construction)
  // "" (fixed step lr), "backtracking" or "strong_wolfe".
  std::string line_search_fn{};

  // ValueError naming the option and value.
  void validate(const std::string& optimizer) const;
  // The numeric options (line_search_fn is saved separately: state dicts hold tensors).
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("max_iter", max_iter);
    f("tolerance_grad", tolerance_grad);
    f("tolerance_change", tolerance_change);
    f("damping", damping);
    f("max_parameters", max_parameters);
  }
};

// The gradient and the exact Hessian of a scalar `loss` with respect to `params` (flattened in
// order, row-major), both float64: [n] and [n, n], symmetrized ((H + H^T) / 2). `loss` must carry
// its graph (computed with grad mode on, backward() not yet called) and every parameter must
// require grad; parameters the loss does not depend on get zero rows. Costs one backward pass with
// create_graph and n Hessian-vector products.
std::pair<Tensor, Tensor> gradient_and_hessian(const Tensor& loss,
                                               const std::vector<Tensor>& params);

// State dict: the options ("param_groups.0.*", line_search_fn as its bytes in uint8) and, once
// step() has run, "state.func_evals" and "state.n_iter" (int64 []). Newton keeps no other state
// between steps, so resuming gives the same next step bit for bit.
// add_param_group always raises ValueError: the parameters form one vector, so there is one
// parameter group.
class Newton : public detail::FlatOptimizer<NewtonOptions> {
 public:
  using Options = NewtonOptions;
  explicit Newton(std::vector<Tensor> params, Options options = {});
  // Exactly one group; ValueError otherwise.
  explicit Newton(std::vector<Group> groups);

  void load_state_dict(const StateDict& state) override;

  int64_t func_evals() const { return func_evals_; }     // closure calls, all steps
  int64_t n_iter() const { return n_iter_; }             // Newton iterations, all steps
  double last_damping() const { return last_damping_; }  // lambda of the last solve

 protected:
  // ValueError: Newton needs a closure.
  void update() override;
  Tensor update(const std::function<Tensor()>& closure) override;
  void save_extra(StateDict& state) const override;

 private:
  int64_t func_evals_ = 0;
  int64_t n_iter_ = 0;
  double last_damping_ = 0;
};

}  // namespace cajal::optim

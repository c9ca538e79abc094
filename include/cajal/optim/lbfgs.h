#pragma once
// L-BFGS (Liu & Nocedal, 1989), PyTorch's torch.optim.LBFGS (1.13) option for option and step
// for step: limited-memory quasi-Newton directions from the last history_size (s, y) pairs, a
// fixed step lr or a strong-Wolfe line search. All parameters form one flat vector; there is one
// parameter group only.
//
// step() needs a closure that clears the gradients, computes the loss (grad mode is on inside),
// calls backward() and returns the loss; one step runs up to max_iter iterations and max_eval
// closure calls, and returns the loss of the first call:
//
//   optim::LBFGS opt(model.parameters(), {.line_search_fn = "strong_wolfe"});
//   for (int epoch = 0; epoch < 10; ++epoch) {
//     opt.step([&] {
//       opt.zero_grad();
//       Tensor loss = nn::functional::mse_loss(model(x), y);
//       loss.backward();
//       return loss;
//     });
//   }
//
// Memory: about (2 history_size + 3) copies of the parameters. Full-batch (deterministic) losses
// suit it best: with noisy minibatch losses the curvature pairs are inconsistent.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cajal/optim/line_search.h"
#include "cajal/optim/optimizer.h"

namespace cajal::optim {

struct LBFGSOptions {
  // The step along the L-BFGS direction without line search; with "strong_wolfe", the first
  // trial step. The first iteration ever scales it by min(1, 1 / sum |grad|).
  double lr = 1;
  int64_t max_iter = 20;  // iterations per step()
  int64_t max_eval = 0;   // closure calls per step(); 0 means max_iter * 5 / 4 (PyTorch's None)
  // step() stops early when max |grad| <= tolerance_grad, or when the loss or the parameters
  // change by less than tolerance_change.
  double tolerance_grad = 1e-7;
  double tolerance_change = 1e-9;
  int64_t history_size = 100;  // (s, y) pairs kept
  // "" (none: a fixed step lr) or "strong_wolfe" (c1 = 1e-4, c2 = 0.9, at most 25 iterations, as
  // PyTorch).
  std::string line_search_fn{};

  // ValueError naming the option and value: negative lr or tolerances, max_iter, max_eval or
  // history_size below 1, an unknown line_search_fn.
  void validate(const std::string& optimizer) const;
  // The numeric options (line_search_fn is saved separately: state dicts hold tensors).
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("max_iter", max_iter);
    f("max_eval", max_eval);
    f("tolerance_grad", tolerance_grad);
    f("tolerance_change", tolerance_change);
    f("history_size", history_size);
  }
};

// State dict: the options ("param_groups.0.*", line_search_fn as its bytes in uint8) and, once
// step() has run, the optimizer-wide state under "state.": func_evals and n_iter (int64 []), and
// after the first iteration d, prev_flat_grad ([n], the parameters' dtype), t, H_diag, prev_loss
// (float64 []), old_dirs and old_stps ([k, n], k <= history_size) and ro (float64 [k]). Loading it
// into a fresh LBFGS over the same parameters makes the next step identical bit for bit.
// add_param_group always raises ValueError: L-BFGS works on one flat vector, so it has one
// parameter group.
class LBFGS : public detail::FlatOptimizer<LBFGSOptions> {
 public:
  using Options = LBFGSOptions;
  explicit LBFGS(std::vector<Tensor> params, Options options = {});
  // Exactly one group (PyTorch's rule); ValueError otherwise.
  explicit LBFGS(std::vector<Group> groups);

  // Validates the whole dict (options, line_search_fn, history shapes) before changing anything.
  void load_state_dict(const StateDict& state) override;

  int64_t func_evals() const { return history_.func_evals; }  // closure calls, all steps
  int64_t n_iter() const { return history_.n_iter; }          // iterations, all steps

 protected:
  // ValueError: L-BFGS needs a closure.
  void update() override;
  Tensor update(const std::function<Tensor()>& closure) override;
  void save_extra(StateDict& state) const override;

 private:
  struct History {
    int64_t func_evals = 0;
    int64_t n_iter = 0;
    Tensor d;  // last direction, [n]
    double t = 0;
    std::vector<Tensor> old_dirs;  // y = grad change, oldest first
    std::vector<Tensor> old_stps;  // s = parameter change
    std::vector<double> ro;        // 1 / (y . s)
    double H_diag = 1;             // scale of the initial inverse Hessian, (y . s) / (y . y)
    Tensor prev_flat_grad;
    double prev_loss = 0;
  };
  History parse_history(const StateDict& state) const;

  History history_;
};

}  // namespace cajal::optim

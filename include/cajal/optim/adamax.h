#pragma once
// Adamax (Kingma & Ba, 2015, section 7.1): Adam with the second moment replaced by an
// exponentially weighted infinity norm of the gradients. PyTorch's torch.optim.Adamax, update
// for update (like PyTorch, eps is added to |g| inside the maximum).
//
//   optim::Adamax opt(net.parameters(), {.lr = 2e-3});
//
// Per parameter, at step t (from 1), with g the gradient (negated when maximizing):
//   g <- g + weight_decay * p
//   m <- beta1 * m + (1 - beta1) * g                     (exp_avg)
//   u <- max(beta2 * u, |g| + eps)                       (exp_inf)
//   p <- p - lr / (1 - beta1^t) * m / u
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cajal/optim/optimizer.h"

namespace cajal::optim {

struct AdamaxOptions {
  double lr = 2e-3;
  std::pair<double, double> betas{0.9, 0.999};  // each in [0, 1)
  double eps = 1e-8;
  double weight_decay = 0;
  bool maximize = false;

  // ValueError naming the option and value: negative lr, eps or weight_decay, a beta outside
  // [0, 1).
  void validate(const std::string& optimizer) const;
  template <typename F>
  void visit(F&& f) {
    detail::visit_adam_like(f, lr, betas, eps, weight_decay);
    f("maximize", maximize);
  }
};

// State per parameter (created at its first update): "step" (int64 []), "exp_avg" and "exp_inf"
// (like the parameter).
class Adamax : public BetasOptimizer<AdamaxOptions> {
 public:
  using Options = AdamaxOptions;
  explicit Adamax(std::vector<Tensor> params, Options options = {})
      : BetasOptimizer("Adamax", std::move(params), options) {}
  explicit Adamax(std::vector<Group> groups) : BetasOptimizer("Adamax", std::move(groups)) {}

 protected:
  void update() override;
  std::vector<std::string> state_keys(const Options& options) const override;
};

}  // namespace cajal::optim

#pragma once
// Adagrad (Duchi, Hazan & Singer, 2011): each coordinate's rate shrinks with the root of its
// summed squared gradients, so rarely-updated coordinates keep large steps. PyTorch's
// torch.optim.Adagrad (dense gradients), update for update.
//
//   optim::Adagrad opt(net.parameters(), {.lr = 1e-2});
//
// Per parameter, at step t (from 1), with g the gradient (negated when maximizing):
//   g   <- g + weight_decay * p
//   lr_t = lr / (1 + (t - 1) * lr_decay)
//   sum <- sum + g^2                     (sum starts at initial_accumulator_value)
//   p   <- p - lr_t * g / (sqrt(sum) + eps)
#include <string>
#include <vector>

#include "cajal/optim/optimizer.h"

namespace cajal::optim {

struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0;
  double weight_decay = 0;
  double initial_accumulator_value = 0;
  double eps = 1e-10;
  bool maximize = false;

  // ValueError naming the option and value when any number is negative.
  void validate(const std::string& optimizer) const;
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("lr_decay", lr_decay);
    f("weight_decay", weight_decay);
    f("initial_accumulator_value", initial_accumulator_value);
    f("eps", eps);
    f("maximize", maximize);
  }
};

// State per parameter (created at its first update): "step" (int64 []), "sum" (like the
// parameter).
class Adagrad : public OptimizerBase<AdagradOptions> {
 public:
  using Options = AdagradOptions;
  explicit Adagrad(std::vector<Tensor> params, Options options = {})
      : OptimizerBase("Adagrad", std::move(params), options) {}
  explicit Adagrad(std::vector<Group> groups) : OptimizerBase("Adagrad", std::move(groups)) {}

 protected:
  void update() override;
  std::vector<std::string> state_keys(const Options& options) const override;
};

}  // namespace cajal::optim

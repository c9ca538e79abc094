#pragma once
// AdamW (Loshchilov & Hutter, 2019, "Decoupled Weight Decay Regularization"): Adam whose weight
// decay shrinks the parameters directly instead of entering the gradient, so the decay is not
// rescaled by the adaptive denominator. PyTorch's torch.optim.AdamW, update for update.
//
//   optim::AdamW opt(net.parameters(), {.lr = 1e-3, .weight_decay = 1e-2});
//
// Per parameter, at step t (from 1), with g the gradient (negated when maximizing):
//   p <- p * (1 - lr * weight_decay)
//   m <- beta1 * m + (1 - beta1) * g                     (exp_avg)
//   v <- beta2 * v + (1 - beta2) * g^2                   (exp_avg_sq)
//   v_max <- max(v_max, v)                               (max_exp_avg_sq, AMSGrad only)
//   p <- p - lr / (1 - beta1^t) * m / (sqrt(v or v_max) / sqrt(1 - beta2^t) + eps)
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cajal/optim/optimizer.h"

namespace cajal::optim {

struct AdamWOptions {
  double lr = 1e-3;
  std::pair<double, double> betas{0.9, 0.999};  // each in [0, 1)
  double eps = 1e-8;
  double weight_decay = 1e-2;  // decoupled: the fraction lr * weight_decay is removed per step
  bool amsgrad = false;
  bool maximize = false;

  // ValueError naming the option and value: negative lr, eps or weight_decay, a beta outside
  // [0, 1).
  void validate(const std::string& optimizer) const;
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("betas", betas);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("amsgrad", amsgrad);
    f("maximize", maximize);
  }
};

// State per parameter (created at its first update): "step" (int64 []), "exp_avg",
// "exp_avg_sq", and with AMSGrad "max_exp_avg_sq" (like the parameter).
class AdamW : public OptimizerBase<AdamWOptions> {
 public:
  using Options = AdamWOptions;
  explicit AdamW(std::vector<Tensor> params, Options options = {})
      : OptimizerBase("AdamW", std::move(params), options) {}
  explicit AdamW(std::vector<Group> groups) : OptimizerBase("AdamW", std::move(groups)) {}

  // betas.first, the option 1cycle cycles against the rate.
  std::optional<double> momentum(size_t group) const override;
  // ValueError unless 0 <= momentum < 1.
  void set_momentum(size_t group, double momentum) override;

 protected:
  void update() override;
  std::vector<std::string> state_keys(const Options& options) const override;
};

}  // namespace cajal::optim

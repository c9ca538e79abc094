#pragma once
// AdamW (Loshchilov & Hutter, 2019, "Decoupled Weight Decay Regularization"): Adam whose weight
// decay shrinks the parameters directly instead of entering the gradient, so the decay is not
// rescaled by the adaptive denominator. PyTorch's torch.optim.AdamW, update for update.
//
//   optim::AdamW opt(net.parameters(), {.lr = 1e-3, .weight_decay = 1e-2});
//
// Per parameter: p <- p * (1 - lr * weight_decay), then Adam's update (adam.h) without the
// g <- g + weight_decay * p term.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cajal/optim/adam.h"

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
    detail::visit_adam_like(f, lr, betas, eps, weight_decay);
    f("amsgrad", amsgrad);
    f("maximize", maximize);
  }
};

// State per parameter (created at its first update): "step" (int64 []), "exp_avg",
// "exp_avg_sq", and with AMSGrad "max_exp_avg_sq" (like the parameter).
class AdamW : public AdamBase<AdamWOptions, true> {
 public:
  using Options = AdamWOptions;
  explicit AdamW(std::vector<Tensor> params, Options options = {})
      : AdamBase("AdamW", std::move(params), options) {}
  explicit AdamW(std::vector<Group> groups) : AdamBase("AdamW", std::move(groups)) {}
};

}  // namespace cajal::optim

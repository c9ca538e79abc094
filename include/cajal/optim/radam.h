#pragma once
// RAdam: Adam with the variance of the adaptive learning rate rectified (Liu et al., 2020, "On the
// Variance of the Adaptive Learning Rate and Beyond"). While too few steps have been seen for the
// second moment to be trusted (rho_t <= 5), it takes plain bias-corrected momentum steps.
//
//   optim::RAdam opt(net.parameters(), {.lr = 1e-3});
//
// Per step t, for gradient g:
//   m_t = beta1 m + (1 - beta1) g,   v_t = beta2 v + (1 - beta2) g^2,   m^ = m_t / (1 - beta1^t)
//   rho_inf = 2 / (1 - beta2) - 1,   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
//   rho_t > 5:  r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
//               param -= lr r_t m^ sqrt(1 - beta2^t) / (sqrt(v_t) + eps)
//   otherwise:  param -= lr m^
// weight_decay adds weight_decay * param to g (L2, PyTorch's default); with
// decoupled_weight_decay (PyTorch >= 2.0's option, as in AdamW) it instead scales the parameter
// by (1 - lr * weight_decay) before the step.
// State per parameter: step, exp_avg, exp_avg_sq.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cajal/optim/optimizer.h"

namespace cajal::optim {

struct RAdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;
  bool decoupled_weight_decay = false;

  // ValueError naming the option: lr, eps, weight_decay >= 0; betas in [0, 1).
  void validate(const std::string& optimizer) const;
  template <typename F>
  void visit(F&& f) {
    detail::visit_adam_like(f, lr, betas, eps, weight_decay);
    f("decoupled_weight_decay", decoupled_weight_decay);
  }
};

class RAdam : public BetasOptimizer<RAdamOptions> {
 public:
  using Options = RAdamOptions;
  RAdam(std::vector<Tensor> params, RAdamOptions options = {});
  explicit RAdam(std::vector<Group> groups);

 protected:
  void update() override;
};

}  // namespace cajal::optim

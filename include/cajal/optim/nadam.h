#pragma once
// NAdam: Adam with Nesterov momentum (Dozat, 2016, "Incorporating Nesterov Momentum into Adam"),
// with PyTorch's momentum schedule mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay)).
//
//   optim::NAdam opt(net.parameters(), {.lr = 2e-3});
//
// Per step t, for gradient g (plus weight_decay * param, an L2 penalty, when set):
//   m_t = beta1 m + (1 - beta1) g,   v_t = beta2 v + (1 - beta2) g^2
//   param -= lr [(1 - mu_t) g / (1 - prod_{i<=t} mu_i) + mu_{t+1} m_t / (1 - prod_{i<=t+1} mu_i)]
//            / (sqrt(v_t / (1 - beta2^t)) + eps)
// State per parameter: step, mu_product (prod_{i<=t} mu_i, float64), exp_avg, exp_avg_sq.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cajal/optim/optimizer.h"

namespace cajal::optim {

struct NAdamOptions {
  double lr = 2e-3;
  std::pair<double, double> betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum_decay = 4e-3;

  // ValueError naming the option: lr, eps, weight_decay, momentum_decay >= 0; betas in [0, 1).
  void validate(const std::string& optimizer) const;
  template <typename F>
  void visit(F&& f) {
    detail::visit_adam_like(f, lr, betas, eps, weight_decay);
    f("momentum_decay", momentum_decay);
  }
};

class NAdam : public BetasOptimizer<NAdamOptions> {
 public:
  using Options = NAdamOptions;
  NAdam(std::vector<Tensor> params, NAdamOptions options = {});
  explicit NAdam(std::vector<Group> groups);

 protected:
  void update() override;
};

}  // namespace cajal::optim

#pragma once
// AdaBelief (Zhuang et al., 2020, "AdaBelief Optimizer: Adapting Stepsizes by the Belief in
// Observed Gradients"): Adam whose step is scaled by the spread of the gradient around its
// running mean (the "belief" in the observed gradient) instead of by its raw second moment. Not
// in PyTorch; this follows the paper's Algorithm 2 and the authors' reference implementation
// (adabelief-pytorch) with rectify=False.
//
//   optim::AdaBelief opt(net.parameters(), {.lr = 1e-3});
//
// Per step t, for gradient g:
//   m_t = beta1 m + (1 - beta1) g
//   s_t = beta2 s + (1 - beta2) (g - m_t)^2 + eps          (eps inside s_t, as in Algorithm 2)
//   amsgrad: s_t = max(s_max, s_t), kept as s_max
//   param -= lr / (1 - beta1^t) * m_t / (sqrt(s_t / (1 - beta2^t)) + eps)
// weight_decay adds weight_decay * param to g (coupled, L2; the paper's form); with
// decoupled_weight_decay (the reference's weight_decouple) it scales the parameter by
// (1 - lr * weight_decay) before the step, as AdamW does.
// State per parameter: step, exp_avg, exp_avg_var (s_t), max_exp_avg_var with amsgrad.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cajal/optim/optimizer.h"

namespace cajal::optim {

struct AdaBeliefOptions {
  double lr = 1e-3;
  std::pair<double, double> betas{0.9, 0.999};
  double eps = 1e-16;  // the paper's default: s_t is a variance, far smaller than Adam's v_t
  double weight_decay = 0;
  bool amsgrad = false;
  bool decoupled_weight_decay = false;

  // ValueError naming the option: lr, eps, weight_decay >= 0; betas in [0, 1).
  void validate(const std::string& optimizer) const;
  template <typename F>
  void visit(F&& f) {
    detail::visit_adam_like(f, lr, betas, eps, weight_decay);
    f("amsgrad", amsgrad);
    f("decoupled_weight_decay", decoupled_weight_decay);
  }
};

class AdaBelief : public BetasOptimizer<AdaBeliefOptions> {
 public:
  using Options = AdaBeliefOptions;
  AdaBelief(std::vector<Tensor> params, AdaBeliefOptions options = {});
  explicit AdaBelief(std::vector<Group> groups);

 protected:
  void update() override;
};

}  // namespace cajal::optim

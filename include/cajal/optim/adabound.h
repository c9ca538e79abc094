#pragma once
// AdaBound and AMSBound (Luo et al., 2019, "Adaptive Gradient Methods with Dynamic Bound of
// Learning Rate"): Adam (AMSGrad) whose per-element step size is clipped into a band that starts
// wide and narrows to final_lr, so training moves smoothly from Adam to SGD. Not in PyTorch; this
// follows the paper and the authors' reference implementation (Luolc/AdaBound).
//
//   optim::AdaBound opt(net.parameters(), {.lr = 1e-3, .final_lr = 0.1});
//   optim::AMSBound opt2(net.parameters());  // AdaBound with amsbound = true
//
// Per step t, for gradient g (plus weight_decay * param, an L2 penalty, when set):
//   m_t = beta1 m + (1 - beta1) g,   v_t = beta2 v + (1 - beta2) g^2
//   amsbound: v_t = max(v_max, v_t), kept as v_max
//   final = final_lr * lr / base_lr     (base_lr: the group's lr when it was first seen, so a
//                                        schedule that decays lr decays the bounds with it)
//   lower = final (1 - 1 / (gamma t + 1)),   upper = final (1 + 1 / (gamma t))
//   param -= clamp(lr sqrt(1 - beta2^t) / (1 - beta1^t) / (sqrt(v_t) + eps), lower, upper) * m_t
// A group whose base lr is 0 uses final_lr unscaled.
// State per parameter: step, exp_avg, exp_avg_sq, max_exp_avg_sq with amsbound; per group the
// base lr ("param_groups.<g>.base_lr" in the state dict).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cajal/optim/optimizer.h"

namespace cajal::optim {

struct AdaBoundOptions {
  double lr = 1e-3;
  std::pair<double, double> betas{0.9, 0.999};
  double final_lr = 0.1;  // the SGD learning rate the bounds converge to
  double gamma = 1e-3;    // convergence speed of the bounds
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsbound = false;

  // ValueError naming the option: lr, final_lr, eps, weight_decay >= 0; betas, gamma in [0, 1).
  void validate(const std::string& optimizer) const;
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("betas", betas);
    f("final_lr", final_lr);
    f("gamma", gamma);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("amsbound", amsbound);
  }
};

class AdaBound : public BetasOptimizer<AdaBoundOptions> {
 public:
  using Options = AdaBoundOptions;
  AdaBound(std::vector<Tensor> params, AdaBoundOptions options = {});
  explicit AdaBound(std::vector<Group> groups);

  // The lr final_lr is relative to: the group's lr at construction (or at its first step, for a
  // group added later).
  double base_lr(size_t group) const { return base_lrs_.at(group); }

 protected:
  AdaBound(std::string name, std::vector<Group> groups);
  void update() override;
  void save_extra(StateDict& state) const override;
  void load_extra(const StateDict& state) override;

 private:
  void record_base_lrs();
  std::vector<double> base_lrs_;
};

// AMSBound: AdaBound on the running maximum of the second moment (amsbound is always true).
class AMSBound : public AdaBound {
 public:
  AMSBound(std::vector<Tensor> params, AdaBoundOptions options = {});
  explicit AMSBound(std::vector<Group> groups);
};

}  // namespace cajal::optim

#pragma once
// Adam (Kingma & Ba, 2015): steps from bias-corrected running averages of the gradient and its
// square; optionally AMSGrad (Reddi, Kale & Kumar, 2018: divide by the running maximum of the
// second moment). weight_decay here is the coupled L2 penalty (added to the gradient); for
// decoupled decay use AdamW. PyTorch's torch.optim.Adam, update for update.
//
//   optim::Adam opt(net.parameters(), {.lr = 1e-3, .betas = {0.9, 0.999}});
//
// Per parameter, at step t (from 1), with g the gradient (negated when maximizing):
//   g <- g + weight_decay * p
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

struct AdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas{0.9, 0.999};  // each in [0, 1)
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
  bool maximize = false;

  // ValueError naming the option and value: negative lr, eps or weight_decay, a beta outside
  // [0, 1) ("Adam: betas[0] must be in [0, 1), got 1.5").
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
class Adam : public OptimizerBase<AdamOptions> {
 public:
  using Options = AdamOptions;
  explicit Adam(std::vector<Tensor> params, Options options = {})
      : OptimizerBase("Adam", std::move(params), options) {}
  explicit Adam(std::vector<Group> groups) : OptimizerBase("Adam", std::move(groups)) {}

  // betas.first, the option 1cycle cycles against the rate.
  std::optional<double> momentum(size_t group) const override;
  // ValueError unless 0 <= momentum < 1.
  void set_momentum(size_t group, double momentum) override;

 protected:
  void update() override;
  std::vector<std::string> state_keys(const Options& options) const override;
};

}  // namespace cajal::optim

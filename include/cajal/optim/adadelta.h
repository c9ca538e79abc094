#pragma once
// Adadelta (Zeiler, 2012): Adagrad's accumulation replaced by a decaying average, with steps
// scaled by the running RMS of past updates so they carry the parameters' units. PyTorch's
// torch.optim.Adadelta, update for update (lr multiplies the step; the paper's method is lr = 1).
//
//   optim::Adadelta opt(net.parameters(), {.rho = 0.9});
//
// Per parameter, with g the gradient (negated when maximizing):
//   g <- g + weight_decay * p
//   v <- rho * v + (1 - rho) * g^2                   (square_avg)
//   d  = sqrt(u + eps) / sqrt(v + eps) * g
//   u <- rho * u + (1 - rho) * d^2                   (acc_delta)
//   p <- p - lr * d
#include <string>
#include <vector>

#include "cajal/optim/optimizer.h"

namespace cajal::optim {

struct AdadeltaOptions {
  double lr = 1.0;
  double rho = 0.9;  // in [0, 1]
  double eps = 1e-6;
  double weight_decay = 0;
  bool maximize = false;

  // ValueError naming the option and value: negative lr, eps or weight_decay, rho outside [0, 1].
  void validate(const std::string& optimizer) const;
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("rho", rho);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("maximize", maximize);
  }
};

// State per parameter (created at its first update): "step" (int64 []), "square_avg" and
// "acc_delta" (like the parameter).
class Adadelta : public OptimizerBase<AdadeltaOptions> {
 public:
  using Options = AdadeltaOptions;
  explicit Adadelta(std::vector<Tensor> params, Options options = {})
      : OptimizerBase("Adadelta", std::move(params), options) {}
  explicit Adadelta(std::vector<Group> groups) : OptimizerBase("Adadelta", std::move(groups)) {}

 protected:
  void update() override;
  std::vector<std::string> state_keys(const Options& options) const override;
};

}  // namespace cajal::optim

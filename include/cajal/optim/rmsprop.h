#pragma once
// RMSprop (Hinton, Srivastava & Swersky, 2012, Neural Networks for Machine Learning, lecture 6e):
// divide each step by a running RMS of recent gradients; optionally centered (Graves, 2013:
// divide by an estimate of the gradient's standard deviation instead) and with momentum.
// PyTorch's torch.optim.RMSprop, update for update.
//
//   optim::RMSprop opt(net.parameters(), {.lr = 1e-3, .momentum = 0.9});
//
// Per parameter, with g the gradient (negated when maximizing):
//   g <- g + weight_decay * p
//   v <- alpha * v + (1 - alpha) * g^2                  (square_avg)
//   m <- alpha * m + (1 - alpha) * g                    (grad_avg, centered only)
//   d  = sqrt(v - m^2) + eps if centered, else sqrt(v) + eps
//   b <- momentum * b + g / d;  p <- p - lr * b         (momentum > 0; b: momentum_buffer)
//   p <- p - lr * g / d                                 (momentum = 0)
#include <optional>
#include <string>
#include <vector>

#include "cajal/optim/optimizer.h"

namespace cajal::optim {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;  // smoothing constant, in [0, 1]
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
  bool maximize = false;

  // ValueError naming the option and value: negative lr, eps, weight_decay or momentum, alpha
  // outside [0, 1] (PyTorch checks only alpha >= 0; above 1 the average turns negative).
  void validate(const std::string& optimizer) const;
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("alpha", alpha);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("momentum", momentum);
    f("centered", centered);
    f("maximize", maximize);
  }
};

// State per parameter (created at its first update): "step" (int64 []), "square_avg", and when
// used "momentum_buffer" and "grad_avg" (like the parameter; created as zeros when the option
// is first on).
class RMSprop : public OptimizerBase<RMSpropOptions> {
 public:
  using Options = RMSpropOptions;
  explicit RMSprop(std::vector<Tensor> params, Options options = {})
      : OptimizerBase("RMSprop", std::move(params), options) {}
  explicit RMSprop(std::vector<Group> groups) : OptimizerBase("RMSprop", std::move(groups)) {}

  std::optional<double> momentum(size_t group) const override;
  // ValueError for a negative value.
  void set_momentum(size_t group, double momentum) override;

 protected:
  void update() override;
  std::vector<std::string> state_keys(const Options& options) const override;
};

}  // namespace cajal::optim

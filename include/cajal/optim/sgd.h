#pragma once
// Stochastic gradient descent with optional momentum (heavy ball or Nesterov), dampening, coupled
// L2 weight decay and maximization; PyTorch's torch.optim.SGD, update for update.
//
//   optim::SGD opt(net.parameters(), {.lr = 0.1, .momentum = 0.9, .nesterov = true});
//
// Per parameter, with g the gradient (negated when maximizing) and b the momentum buffer:
//   g <- g + weight_decay * p
//   b <- g on the first step, else momentum * b + (1 - dampening) * g   (when momentum != 0)
//   g <- g + momentum * b (Nesterov) or b (heavy ball)                  (when momentum != 0)
//   p <- p - lr * g
#include <optional>
#include <string>
#include <vector>

#include "cajal/optim/optimizer.h"

namespace cajal::optim {

struct SGDOptions {
  // PyTorch requires the rate; here it defaults to 1e-3, a safe value for most networks.
  double lr = 1e-3;
  double momentum = 0;
  double dampening = 0;  // in [0, 1]: the share of the new gradient held back from the buffer
  double weight_decay = 0;
  bool nesterov = false;  // needs momentum > 0 and dampening 0
  bool maximize = false;

  // ValueError naming the option and value: negative lr, momentum or weight_decay, dampening
  // outside [0, 1], Nesterov without momentum or with dampening.
  void validate(const std::string& optimizer) const;
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("momentum", momentum);
    f("dampening", dampening);
    f("weight_decay", weight_decay);
    f("nesterov", nesterov);
    f("maximize", maximize);
  }
};

namespace detail {
// One SGD update as separate tensor ops: the path for layouts and dtypes the fused kernel
// (kernels::sgd_step) does not take, and the reference it is tested against.
void sgd_update_composite(Tensor param, const Tensor& grad, OrderedDict<Tensor>& param_state,
                          const SGDOptions& options);
}  // namespace detail

// State per parameter: "momentum_buffer" (like the parameter), once momentum is used.
class SGD : public OptimizerBase<SGDOptions> {
 public:
  using Options = SGDOptions;
  explicit SGD(std::vector<Tensor> params, Options options = {})
      : OptimizerBase("SGD", std::move(params), options) {}
  explicit SGD(std::vector<Group> groups) : OptimizerBase("SGD", std::move(groups)) {}

  std::optional<double> momentum(size_t group) const override;
  // ValueError for a negative value or one that breaks the group's Nesterov setting.
  void set_momentum(size_t group, double momentum) override;

 protected:
  void update() override;
};

}  // namespace cajal::optim

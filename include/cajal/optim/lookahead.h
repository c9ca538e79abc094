#pragma once
// Lookahead (Zhang, Lucas, Hinton and Ba, 2019, "Lookahead Optimizer: k steps forward, 1 step
// back"): wraps any optimizer. The inner optimizer moves the "fast" weights (the parameters) for k
// steps; then the "slow" weights move a fraction alpha of the way towards them and the fast
// weights restart from there:
//   every k-th step:  slow += alpha (param - slow);  param = slow
// The slow weights start as the parameters' values at the first step. k counts calls to step().
//
//   auto adam = std::make_shared<optim::Adam>(net.parameters(), optim::AdamOptions{.lr = 1e-3});
//   optim::Lookahead opt(adam, {.k = 5, .alpha = 0.5});
//   opt.zero_grad(); loss.backward(); opt.step();
//
// Parameter groups, lr()/set_lr() and momentum()/set_momentum() are the inner optimizer's, so
// learning-rate schedules drive a Lookahead like any optimizer. The state dict holds the inner
// optimizer's (keys prefixed "inner."), "lookahead.k", "lookahead.alpha", "lookahead.step" and
// the slow weights "lookahead.slow.<n>" (n: the parameter's index over all groups).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cajal/optim/optimizer.h"

namespace cajal::optim {

struct LookaheadOptions {
  int64_t k = 5;       // inner steps per synchronization, >= 1
  double alpha = 0.5;  // slow-weight step size, in [0, 1]

  // ValueError naming the option and value.
  void validate(const std::string& optimizer) const;
};

class Lookahead : public Optimizer {
 public:
  // inner: any optimizer, shared (a std::unique_ptr converts too); ValueError when null.
  explicit Lookahead(std::shared_ptr<Optimizer> inner, LookaheadOptions options = {});

  Optimizer& inner() { return *inner_; }
  const Optimizer& inner() const { return *inner_; }
  const LookaheadOptions& options() const { return options_; }
  // Steps taken so far (the inner optimizer's steps through this wrapper).
  int64_t step_count() const { return step_; }
  // The slow weights of parameter `index` of `group`; undefined before the first step.
  Tensor slow_weight(size_t group, size_t index) const;

  size_t num_param_groups() const override { return inner_->num_param_groups(); }
  const std::vector<Tensor>& params(size_t group) const override { return inner_->params(group); }
  double lr(size_t group) const override { return inner_->lr(group); }
  void set_lr(size_t group, double lr) override { inner_->set_lr(group, lr); }
  std::optional<double> momentum(size_t group) const override { return inner_->momentum(group); }
  void set_momentum(size_t group, double momentum) override {
    inner_->set_momentum(group, momentum);
  }

  StateDict state_dict() const override;
  void load_state_dict(const StateDict& state) override;

 protected:
  // For wrappers with a fixed inner optimizer (Ranger): `name` names errors and the optimizer.
  Lookahead(std::string name, std::shared_ptr<Optimizer> inner, LookaheadOptions options);
  void update() override;
  Tensor update(const std::function<Tensor()>& closure) override;

 private:
  void capture_slow_weights();
  void advance();

  std::shared_ptr<Optimizer> inner_;
  LookaheadOptions options_;
  int64_t step_ = 0;
  std::vector<std::vector<Tensor>> slow_;  // [group][index]
};

}  // namespace cajal::optim

#pragma once
// Optimizer: updates parameters from their gradients. Every optimizer has parameter groups (each
// with its own options: learning rate, weight decay, ...), zero_grad(), step(), and a state dict
// that restores it exactly, so training resumes bit for bit.
//
//   optim::SGD opt(net.parameters(), {.lr = 0.1, .momentum = 0.9});
//   opt.zero_grad(); loss.backward(); opt.step();
//
//   // Per-group options: a small rate for a pretrained trunk, a larger one for the head.
//   optim::SGD opt({{trunk->parameters(), {.lr = 1e-4, .momentum = 0.9}},
//                   {head->parameters(), {.lr = 1e-2, .momentum = 0.9}}});
#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cajal/core/creation.h"
#include "cajal/core/ordered_dict.h"
#include "cajal/core/tensor.h"
#include "cajal/ops/arithmetic.h"

namespace cajal::optim {

class Optimizer {
 public:
  explicit Optimizer(std::string name) : name_(std::move(name)) {}
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update from the parameters' current grad(); parameters without a gradient are skipped.
  // Runs without recording a graph.
  void step();
  // For methods that evaluate the loss several times per step (L-BFGS, conjugate gradient,
  // Newton): `closure` clears the gradients, computes the loss, calls backward() and returns the
  // loss. Other optimizers call it once, then step(). Returns the loss of the first evaluation.
  Tensor step(const std::function<Tensor()>& closure);
  // Clears the gradient of every parameter: set to undefined, or filled with zeros.
  void zero_grad(bool set_to_none = true);

  const std::string& name() const { return name_; }
  virtual size_t num_param_groups() const = 0;
  virtual const std::vector<Tensor>& params(size_t group) const = 0;
  std::vector<Tensor> parameters() const;  // all groups, in order
  virtual double lr(size_t group) const = 0;
  virtual void set_lr(size_t group, double lr) = 0;
  // The option 1cycle cycles against the learning rate: momentum for SGD and RMSprop, beta1 for
  // the Adam family; nullopt for optimizers without one. set_momentum throws ValueError then.
  virtual std::optional<double> momentum(size_t group) const;
  virtual void set_momentum(size_t group, double momentum);
  // The rate a group started from, recorded by the first learning-rate scheduler attached to this
  // optimizer (PyTorch's group["initial_lr"]), so that schedulers built one after another (a
  // warm-up, then a decay) share one base rate. nullopt until a scheduler sets it.
  std::optional<double> initial_lr(size_t group) const;
  void set_initial_lr(size_t group, double lr);

  // Options of every group and the per-parameter state, as named tensors:
  //   "param_groups.0.lr" (float64 []), "param_groups.0.size" (int64 []),
  //   "state.3.exp_avg" (the 4th parameter overall), ...
  virtual StateDict state_dict() const = 0;
  // Restores options and state; ValueError naming the key when the groups, parameter counts or
  // state shapes do not match this optimizer.
  virtual void load_state_dict(const StateDict& state) = 0;

 protected:
  // The update itself, called by step() under no_grad.
  virtual void update() = 0;
  // The closure form; the default evaluates the closure once (with grad mode on), then update().
  virtual Tensor update(const std::function<Tensor()>& closure);

 private:
  std::string name_;
  std::vector<std::optional<double>> initial_lrs_;
};

// A group of parameters sharing options.
template <typename Options>
struct ParamGroup {
  std::vector<Tensor> params;
  Options options{};
};

// The common part of optimizers whose options are a struct `Options` with a `lr` field, a
// `validate(const std::string& optimizer)` member that throws ValueError for a bad option, and a
// `visit(f)` member that calls f(name, field) for every field (double, bool, int64_t or
// std::pair<double, double>) so state dicts can save and restore them.
template <typename Options>
class OptimizerBase : public Optimizer {
 public:
  using Group = ParamGroup<Options>;

  OptimizerBase(std::string name, std::vector<Tensor> params, Options options)
      : OptimizerBase(std::move(name), std::vector<Group>{Group{std::move(params), options}}) {}
  OptimizerBase(std::string name, std::vector<Group> groups) : Optimizer(std::move(name)) {
    if (groups.empty()) throw ValueError(this->name() + ": no parameter groups given");
    for (Group& group : groups) add_param_group(std::move(group));
  }

  // Adds a group (for example, the layers unfrozen in a later phase of fine-tuning). ValueError
  // when the group is empty, its options are invalid, or a parameter is already optimized (a
  // parameter in two places would be updated twice per step).
  void add_param_group(Group group);

  std::vector<Group>& param_groups() { return groups_; }
  const std::vector<Group>& param_groups() const { return groups_; }
  size_t num_param_groups() const override { return groups_.size(); }
  const std::vector<Tensor>& params(size_t group) const override {
    return groups_.at(group).params;
  }
  double lr(size_t group) const override { return groups_.at(group).options.lr; }
  void set_lr(size_t group, double lr) override { groups_.at(group).options.lr = lr; }

  StateDict state_dict() const override;
  void load_state_dict(const StateDict& state) override;

 protected:
  // Calls f(options, param, grad, state) for every parameter that has a gradient, group by
  // group: the skeleton of every update(). `param` is a handle to update in place; `grad` a copy
  // of the handle that f may rebind (to add a penalty) without touching the parameter's gradient.
  // An f that takes the group index first, f(group, options, param, grad, state), gets it too.
  template <typename F>
  void for_each_parameter(F&& f) {
    for (size_t g = 0; g < groups_.size(); ++g) {
      const Options& options = groups_[g].options;
      for (size_t i = 0; i < groups_[g].params.size(); ++i) {
        Tensor param = groups_[g].params[i];
        Tensor grad = param.grad();
        if (!grad.defined()) continue;
        if constexpr (std::is_invocable_v<F&, size_t, const Options&, Tensor&, Tensor&,
                                          OrderedDict<Tensor>&>) {
          f(g, options, param, grad, state_[g][i]);
        } else {
          f(options, param, grad, state_[g][i]);
        }
      }
    }
  }
  // The state of parameter `index` of `group` (empty until the optimizer fills it).
  OrderedDict<Tensor>& state(size_t group, size_t index) { return state_[group][index]; }
  const OrderedDict<Tensor>& state(size_t group, size_t index) const {
    return state_[group][index];
  }
  // Optimizer-wide state beyond options and per-parameter tensors (L-BFGS history, ...).
  virtual void save_extra(StateDict& /*state*/) const {}
  virtual void load_extra(const StateDict& /*state*/) {}
  // The keys every started parameter state holds under `options` (Adam: step, exp_avg,
  // exp_avg_sq). load_state_dict refuses a non-empty parameter state that lacks one, so a state
  // dict of another optimizer fails on load rather than at the next step. Keys that an update
  // creates on demand (a momentum buffer after momentum is switched on) need not be listed.
  virtual std::vector<std::string> state_keys(const Options& /*options*/) const { return {}; }

 private:
  std::vector<Group> groups_;
  std::vector<std::vector<OrderedDict<Tensor>>> state_;
};

namespace detail {
// The checks shared by the Adam family: lr, eps and weight_decay >= 0, betas in [0, 1)
// ("Adam: betas[0] must be in [0, 1), got 1.5").
void validate_adam_like(const std::string& optimizer, double lr,
                        const std::pair<double, double>& betas, double eps, double weight_decay);
// The visit() fields the Adam family shares, in state-dict order: lr, betas, eps, weight_decay.
template <typename F>
void visit_adam_like(F& f, double& lr, std::pair<double, double>& betas, double& eps,
                     double& weight_decay) {
  f("lr", lr);
  f("betas", betas);
  f("eps", eps);
  f("weight_decay", weight_decay);
}
// Option checks with one wording: "Adam: lr must be >= 0, got -0.1".
void check_non_negative(const std::string& optimizer, const char* option, double value);
void check_positive(const std::string& optimizer, const char* option, double value);
// 0 <= value < 1 (betas, momentum-like decay rates).
void check_unit_interval(const std::string& optimizer, const char* option, double value);
// 0 <= value <= 1 (averaging weights where both ends are meaningful: Adadelta's rho, dampening).
void check_closed_unit_interval(const std::string& optimizer, const char* option, double value);
void check_parameter(const std::string& optimizer, const Tensor& param);
void check_key(const StateDict& state, const std::string& key, const std::string& optimizer);

inline Tensor option_tensor(double value) { return scalar_tensor(value, Dtype::float64); }
double option_value(const StateDict& state, const std::string& key, const std::string& optimizer);
Tensor option_pair(const std::pair<double, double>& value);
std::pair<double, double> option_pair_value(const StateDict& state, const std::string& key,
                                            const std::string& optimizer);

// Helpers shared by the updates (call them under no_grad).
// The gradient a classic update works with: -grad when maximizing, plus weight_decay * param
// (coupled L2 decay). Never modifies `grad` in place.
Tensor decayed_gradient(const Tensor& param, const Tensor& grad, double weight_decay,
                        bool maximize);
// Increments the state's "step" counter (an int64 0-dim tensor, created at 0 when missing) and
// returns the new count: 1 on a parameter's first update.
int64_t increment_step(OrderedDict<Tensor>& state);
// The state tensor `key`, created as zeros shaped like `param` when missing.
Tensor state_or_zeros(OrderedDict<Tensor>& state, const std::string& key, const Tensor& param);
// The step counter of the optimizers that, like their reference implementations, count in
// float64 (NAdam, RAdam, AdaBelief, AdaBound): on a parameter's first update (empty state)
// creates "step" at 0 followed by zeros like `param` under each of `zero_keys`, in that order;
// then increments "step" and returns the new count.
double increment_float_step(OrderedDict<Tensor>& state, const Tensor& param,
                            std::initializer_list<const char*> zero_keys);
// Weight decay in the two forms RAdam and AdaBelief offer: `decoupled` shrinks `param` in place
// by the factor (1 - lr * weight_decay) (as AdamW) and returns `grad`; otherwise returns
// grad + weight_decay * param (the L2 penalty). No-op when weight_decay is 0.
Tensor apply_weight_decay(Tensor& param, const Tensor& grad, double lr, double weight_decay,
                          bool decoupled);
}  // namespace detail

// An optimizer whose options hold `betas` (the Adam family): betas.first is the option 1cycle
// cycles against the learning rate.
template <typename Options>
class BetasOptimizer : public OptimizerBase<Options> {
 public:
  using OptimizerBase<Options>::OptimizerBase;

  std::optional<double> momentum(size_t group) const override {
    return this->param_groups().at(group).options.betas.first;
  }
  // ValueError unless 0 <= momentum < 1.
  void set_momentum(size_t group, double momentum) override {
    detail::check_unit_interval(this->name(), "betas[0]", momentum);
    this->param_groups().at(group).options.betas.first = momentum;
  }
};

template <typename Options>
void OptimizerBase<Options>::add_param_group(Group group) {
  if (group.params.empty()) throw ValueError(name() + ": a parameter group is empty");
  for (size_t i = 0; i < group.params.size(); ++i) {
    const Tensor& param = group.params[i];
    detail::check_parameter(name(), param);
    auto same = [&](const Tensor& other) { return other.is_same(param); };
    bool seen = std::any_of(group.params.begin(), group.params.begin() + i, same);
    for (const Group& existing : groups_) {
      seen = seen || std::any_of(existing.params.begin(), existing.params.end(), same);
    }
    if (seen) {
      throw ValueError(name() + ": parameter " + std::to_string(i) + " of the new group (shape " +
                       shape_string(param.shape()) + ") is already being optimized");
    }
  }
  group.options.validate(name());
  state_.emplace_back(group.params.size());
  groups_.push_back(std::move(group));
}

template <typename Options>
StateDict OptimizerBase<Options>::state_dict() const {
  StateDict out;
  size_t flat = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const std::string prefix = "param_groups." + std::to_string(g) + ".";
    out.insert(prefix + "size",
               scalar_tensor(static_cast<int64_t>(groups_[g].params.size()), Dtype::int64));
    if (std::optional<double> initial = initial_lr(g)) {
      out.insert(prefix + "initial_lr", detail::option_tensor(*initial));
    }
    Options options = groups_[g].options;
    options.visit([&](const char* field, auto& value) {
      using T = std::decay_t<decltype(value)>;
      if constexpr (std::is_same_v<T, std::pair<double, double>>) {
        out.insert(prefix + field, detail::option_pair(value));
      } else {
        out.insert(prefix + field, detail::option_tensor(static_cast<double>(value)));
      }
    });
    for (size_t i = 0; i < groups_[g].params.size(); ++i, ++flat) {
      for (const auto& [key, tensor] : state_[g][i]) {
        out.insert("state." + std::to_string(flat) + "." + key, tensor.clone());
      }
    }
  }
  save_extra(out);
  return out;
}

template <typename Options>
void OptimizerBase<Options>::load_state_dict(const StateDict& state) {
  // Validate everything before changing anything.
  std::vector<Options> options(groups_.size());
  std::vector<std::vector<OrderedDict<Tensor>>> loaded(groups_.size());
  size_t flat = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const std::string prefix = "param_groups." + std::to_string(g) + ".";
    detail::check_key(state, prefix + "size", name());
    int64_t size = state.at(prefix + "size").template item<int64_t>();
    if (size != static_cast<int64_t>(groups_[g].params.size())) {
      throw ValueError(name() + ": load_state_dict: group " + std::to_string(g) + " has " +
                       std::to_string(groups_[g].params.size()) +
                       " parameters, the state dict has " + std::to_string(size));
    }
    options[g] = groups_[g].options;
    options[g].visit([&](const char* field, auto& value) {
      using T = std::decay_t<decltype(value)>;
      if constexpr (std::is_same_v<T, std::pair<double, double>>) {
        value = detail::option_pair_value(state, prefix + field, name());
      } else {
        value = static_cast<T>(detail::option_value(state, prefix + field, name()));
      }
    });
    options[g].validate(name());
    loaded[g].resize(groups_[g].params.size());
    for (size_t i = 0; i < groups_[g].params.size(); ++i, ++flat) {
      const std::string state_prefix = "state." + std::to_string(flat) + ".";
      const Tensor& param = groups_[g].params[i];
      for (const auto& [key, tensor] : state) {
        if (key.rfind(state_prefix, 0) != 0) continue;
        const std::string field = key.substr(state_prefix.size());
        if (tensor.dim() > 0 && tensor.shape() != param.shape()) {
          throw ValueError(name() + ": load_state_dict: '" + key + "' has shape " +
                           shape_string(tensor.shape()) + ", the parameter has shape " +
                           shape_string(param.shape()));
        }
        // As PyTorch: floating-point state shaped like the parameter takes the parameter's dtype
        // (a float32 checkpoint resumes a float64 model). 0-dim state (counters, running
        // products kept in float64 on purpose) keeps its dtype.
        Tensor value = tensor.clone();
        if (value.dim() > 0 && value.is_floating_point() && value.dtype() != param.dtype()) {
          value = value.to(param.dtype());
        }
        loaded[g][i].insert(field, value);
      }
      if (loaded[g][i].empty()) continue;
      for (const std::string& field : state_keys(options[g])) {
        if (!loaded[g][i].contains(field)) {
          throw ValueError(name() + ": load_state_dict: missing key '" + state_prefix + field +
                           "' (the state dict holds other state for this parameter)");
        }
      }
    }
  }
  if (state.contains("param_groups." + std::to_string(groups_.size()) + ".size")) {
    throw ValueError(name() + ": load_state_dict: the state dict has more than " +
                     std::to_string(groups_.size()) + " parameter groups");
  }
  // State for a parameter this optimizer does not have: the state dict is another model's.
  for (const auto& [key, tensor] : state) {
    if (key.rfind("state.", 0) != 0) continue;
    size_t end = key.find('.', 6);
    std::string index = key.substr(6, end == std::string::npos ? std::string::npos : end - 6);
    if (index.empty() || index.size() > 18 ||
        !std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    if (std::stoull(index) >= flat) {
      throw ValueError(name() + ": load_state_dict: '" + key + "' is the state of parameter " +
                       index + ", but this optimizer has " + std::to_string(flat) + " parameters");
    }
  }
  load_extra(state);
  for (size_t g = 0; g < groups_.size(); ++g) {
    groups_[g].options = options[g];
    const std::string initial = "param_groups." + std::to_string(g) + ".initial_lr";
    if (state.contains(initial)) set_initial_lr(g, detail::option_value(state, initial, name()));
  }
  state_ = std::move(loaded);
}

}  // namespace cajal::optim

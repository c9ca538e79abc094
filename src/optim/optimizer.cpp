#include "cajal/optim/optimizer.h"

#include <cmath>
#include <sstream>

#include "cajal/autograd/engine.h"
#include "cajal/autograd/grad_mode.h"

namespace cajal::optim {

void Optimizer::step() {
  no_grad guard;
  update();
}

Tensor Optimizer::step(const std::function<Tensor()>& closure) {
  if (!closure) throw ValueError(name_ + ": step: the closure is empty");
  return update(closure);
}

Tensor Optimizer::update(const std::function<Tensor()>& closure) {
  Tensor loss;
  {
    enable_grad guard;
    loss = closure();
  }
  step();
  return loss;
}

void Optimizer::zero_grad(bool set_to_none) { autograd::zero_grad(parameters(), set_to_none); }

std::vector<Tensor> Optimizer::parameters() const {
  std::vector<Tensor> all;
  for (size_t g = 0; g < num_param_groups(); ++g) {
    all.insert(all.end(), params(g).begin(), params(g).end());
  }
  return all;
}

std::optional<double> Optimizer::momentum(size_t /*group*/) const { return std::nullopt; }

void Optimizer::set_momentum(size_t /*group*/, double /*momentum*/) {
  throw ValueError(name_ + " has no momentum option to set");
}

std::optional<double> Optimizer::initial_lr(size_t group) const {
  return group < initial_lrs_.size() ? initial_lrs_[group] : std::nullopt;
}

void Optimizer::set_initial_lr(size_t group, double lr) {
  if (group >= num_param_groups()) {
    throw IndexError(name_ + ": group " + std::to_string(group) + " is out of range for " +
                     std::to_string(num_param_groups()) + " parameter groups");
  }
  if (initial_lrs_.size() <= group) initial_lrs_.resize(group + 1);
  initial_lrs_[group] = lr;
}

namespace detail {
namespace {
std::string number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}
}  // namespace

void check_non_negative(const std::string& optimizer, const char* option, double value) {
  if (!(value >= 0)) {
    throw ValueError(optimizer + ": " + option + " must be >= 0, got " + number(value));
  }
}

void check_positive(const std::string& optimizer, const char* option, double value) {
  if (!(value > 0)) {
    throw ValueError(optimizer + ": " + option + " must be > 0, got " + number(value));
  }
}

void check_unit_interval(const std::string& optimizer, const char* option, double value) {
  if (!(value >= 0 && value < 1)) {
    throw ValueError(optimizer + ": " + option + " must be in [0, 1), got " + number(value));
  }
}

void check_closed_unit_interval(const std::string& optimizer, const char* option, double value) {
  if (!(value >= 0 && value <= 1)) {
    throw ValueError(optimizer + ": " + option + " must be in [0, 1], got " + number(value));
  }
}

void check_parameter(const std::string& optimizer, const Tensor& param) {
  if (!param.defined()) throw ValueError(optimizer + ": a parameter is an undefined tensor");
  if (!param.is_floating_point()) {
    throw ValueError(optimizer + ": can only optimize floating-point tensors, got " +
                     std::string(dtype_name(param.dtype())));
  }
  if (!param.is_leaf()) {
    throw ValueError(optimizer + ": can only optimize leaf tensors (a parameter has a grad_fn)");
  }
}

void check_key(const StateDict& state, const std::string& key, const std::string& optimizer) {
  if (!state.contains(key)) {
    throw ValueError(optimizer + ": load_state_dict: missing key '" + key + "'");
  }
}

double option_value(const StateDict& state, const std::string& key, const std::string& optimizer) {
  check_key(state, key, optimizer);
  const Tensor& value = state.at(key);
  if (value.numel() != 1) {
    throw ValueError(optimizer + ": load_state_dict: '" + key + "' should hold one number, has " +
                     std::to_string(value.numel()));
  }
  return value.item<double>();
}

Tensor option_pair(const std::pair<double, double>& value) {
  return tensor({value.first, value.second}, {.dtype = Dtype::float64});
}

std::pair<double, double> option_pair_value(const StateDict& state, const std::string& key,
                                            const std::string& optimizer) {
  check_key(state, key, optimizer);
  const Tensor& value = state.at(key);
  if (value.numel() != 2) {
    throw ValueError(optimizer + ": load_state_dict: '" + key + "' should hold two numbers, has " +
                     std::to_string(value.numel()));
  }
  Tensor flat = value.to(Dtype::float64).reshape({2});
  return {flat.at<double>({0}), flat.at<double>({1})};
}

void validate_adam_like(const std::string& optimizer, double lr,
                        const std::pair<double, double>& betas, double eps, double weight_decay) {
  check_non_negative(optimizer, "lr", lr);
  check_unit_interval(optimizer, "betas[0]", betas.first);
  check_unit_interval(optimizer, "betas[1]", betas.second);
  check_non_negative(optimizer, "eps", eps);
  check_non_negative(optimizer, "weight_decay", weight_decay);
}

Tensor decayed_gradient(const Tensor& param, const Tensor& grad, double weight_decay,
                        bool maximize) {
  Tensor direction = maximize ? -grad : grad;
  if (weight_decay != 0) direction = add(direction, param, weight_decay);
  return direction;
}

int64_t increment_step(OrderedDict<Tensor>& state) {
  Tensor* step = state.find("step");
  if (step == nullptr) step = &state.insert("step", scalar_tensor(int64_t{0}, Dtype::int64));
  // A step loaded from elsewhere may be floating point (PyTorch keeps float steps); count on.
  int64_t count = static_cast<int64_t>(step->item<double>()) + 1;
  step->fill_(count);
  return count;
}

Tensor state_or_zeros(OrderedDict<Tensor>& state, const std::string& key, const Tensor& param) {
  if (Tensor* existing = state.find(key)) return *existing;
  return state.insert(key, zeros_like(param));
}

double increment_float_step(OrderedDict<Tensor>& state, const Tensor& param,
                            std::initializer_list<const char*> zero_keys) {
  if (state.empty()) {
    state.insert("step", scalar_tensor(0.0, Dtype::float64));
    for (const char* key : zero_keys) state.insert(key, zeros_like(param));
  }
  Tensor& step_tensor = state.at("step");
  const double step = step_tensor.item<double>() + 1;
  step_tensor.fill_(step);
  return step;
}

Tensor apply_weight_decay(Tensor& param, const Tensor& grad, double lr, double weight_decay,
                          bool decoupled) {
  if (weight_decay == 0) return grad;
  if (decoupled) {
    param.mul_(1 - lr * weight_decay);
    return grad;
  }
  return grad + weight_decay * param;
}

}  // namespace detail
}  // namespace cajal::optim

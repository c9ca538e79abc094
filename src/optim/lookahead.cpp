#include "cajal/optim/lookahead.h"

#include <sstream>

#include "cajal/autograd/grad_mode.h"

namespace cajal::optim {

namespace {
const char kInnerPrefix[] = "inner.";
const char kSlowPrefix[] = "lookahead.slow.";

std::string number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}
}  // namespace

void LookaheadOptions::validate(const std::string& optimizer) const {
  if (k < 1) throw ValueError(optimizer + ": k must be >= 1, got " + std::to_string(k));
  if (!(alpha >= 0 && alpha <= 1)) {
    throw ValueError(optimizer + ": alpha must be in [0, 1], got " + number(alpha));
  }
}

Lookahead::Lookahead(std::shared_ptr<Optimizer> inner, LookaheadOptions options)
    : Lookahead("Lookahead", std::move(inner), options) {}

Lookahead::Lookahead(std::string name, std::shared_ptr<Optimizer> inner, LookaheadOptions options)
    : Optimizer(std::move(name)), inner_(std::move(inner)), options_(options) {
  if (!inner_) throw ValueError(this->name() + ": the inner optimizer is null");
  options_.validate(this->name());
}

Tensor Lookahead::slow_weight(size_t group, size_t index) const {
  if (group >= slow_.size() || index >= slow_[group].size()) return Tensor();
  return slow_[group][index];
}

void Lookahead::capture_slow_weights() {
  // Lazily, so weights loaded into the model after the optimizer was built are the starting
  // point, and groups added to the inner optimizer later get slow weights too.
  no_grad guard;
  slow_.resize(num_param_groups());
  for (size_t g = 0; g < slow_.size(); ++g) {
    const std::vector<Tensor>& group = params(g);
    slow_[g].resize(group.size());
    for (size_t i = 0; i < group.size(); ++i) {
      if (!slow_[g][i].defined()) slow_[g][i] = group[i].detach().clone();
    }
  }
}

void Lookahead::advance() {
  ++step_;
  if (step_ % options_.k != 0) return;
  no_grad guard;
  for (size_t g = 0; g < slow_.size(); ++g) {
    const std::vector<Tensor>& group = params(g);
    for (size_t i = 0; i < group.size(); ++i) {
      Tensor param = group[i];
      Tensor& slow = slow_[g][i];
      slow.add_(param - slow, options_.alpha);
      param.copy_(slow);
    }
  }
}

void Lookahead::update() {
  capture_slow_weights();
  inner_->step();
  advance();
}

Tensor Lookahead::update(const std::function<Tensor()>& closure) {
  capture_slow_weights();
  Tensor loss = inner_->step(closure);
  advance();
  return loss;
}

StateDict Lookahead::state_dict() const {
  StateDict out;
  for (const auto& [key, value] : inner_->state_dict()) out.insert(kInnerPrefix + key, value);
  out.insert("lookahead.k", scalar_tensor(options_.k, Dtype::int64));
  out.insert("lookahead.alpha", detail::option_tensor(options_.alpha));
  out.insert("lookahead.step", scalar_tensor(step_, Dtype::int64));
  size_t flat = 0;
  for (size_t g = 0; g < num_param_groups(); ++g) {
    for (size_t i = 0; i < params(g).size(); ++i, ++flat) {
      Tensor slow = slow_weight(g, i);
      if (slow.defined()) out.insert(kSlowPrefix + std::to_string(flat), slow.clone());
    }
  }
  return out;
}

void Lookahead::load_state_dict(const StateDict& state) {
  // Validate everything of ours, then let the inner optimizer validate and load its part, then
  // commit ours: a bad state dict changes nothing.
  LookaheadOptions options;
  options.k = static_cast<int64_t>(detail::option_value(state, "lookahead.k", name()));
  options.alpha = detail::option_value(state, "lookahead.alpha", name());
  options.validate(name());
  const double step = detail::option_value(state, "lookahead.step", name());
  if (!(step >= 0) || step != static_cast<double>(static_cast<int64_t>(step))) {
    throw ValueError(name() + ": load_state_dict: 'lookahead.step' must be a count >= 0, got " +
                     number(step));
  }
  std::vector<std::vector<Tensor>> slow(num_param_groups());
  size_t flat = 0;
  for (size_t g = 0; g < num_param_groups(); ++g) {
    const std::vector<Tensor>& group = params(g);
    slow[g].resize(group.size());
    for (size_t i = 0; i < group.size(); ++i, ++flat) {
      const std::string key = kSlowPrefix + std::to_string(flat);
      const Tensor* saved = state.find(key);
      if (saved == nullptr) continue;
      if (saved->shape() != group[i].shape()) {
        throw ValueError(name() + ": load_state_dict: '" + key + "' has shape " +
                         shape_string(saved->shape()) + ", the parameter has shape " +
                         shape_string(group[i].shape()));
      }
      slow[g][i] = saved->to(group[i].dtype()).clone();
    }
  }
  if (state.contains(kSlowPrefix + std::to_string(flat))) {
    throw ValueError(name() + ": load_state_dict: the state dict has slow weights for more than " +
                     std::to_string(flat) + " parameters");
  }
  StateDict inner;
  const std::string prefix = kInnerPrefix;
  for (const auto& [key, value] : state) {
    if (key.rfind(prefix, 0) == 0) inner.insert(key.substr(prefix.size()), value);
  }
  inner_->load_state_dict(inner);
  options_ = options;
  step_ = static_cast<int64_t>(step);
  slow_ = std::move(slow);
}

}  // namespace cajal::optim

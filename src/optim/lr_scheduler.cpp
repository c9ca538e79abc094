#include "cajal/optim/lr_scheduler.h"

#include <cmath>
#include <sstream>

#include "cajal/ops/arithmetic.h"

namespace cajal::optim {

std::vector<double> PerGroup::per_group(size_t groups, const std::string& scheduler,
                                        const char* option) const {
  if (values_.size() == 1) return std::vector<double>(groups, values_[0]);
  if (values_.size() != groups) {
    throw ValueError(scheduler + ": " + option + " has " + std::to_string(values_.size()) +
                     " values for " + std::to_string(groups) + " parameter groups");
  }
  return values_;
}

LRScheduler::LRScheduler(std::string name, Optimizer& optimizer)
    : name_(std::move(name)), optimizer_(&optimizer) {
  const size_t groups = optimizer.num_param_groups();
  if (groups == 0) throw ValueError(name_ + ": the optimizer has no parameter groups");
  // PyTorch keeps each group's first rate as group["initial_lr"]; every scheduler attached later
  // takes it as its base rate. Groups added since the first scheduler start from their current
  // rate.
  first_on_optimizer_ = !optimizer.initial_lr(0).has_value();
  base_lrs_.resize(groups);
  for (size_t g = 0; g < groups; ++g) {
    if (!optimizer.initial_lr(g)) optimizer.set_initial_lr(g, optimizer.lr(g));
    base_lrs_[g] = *optimizer.initial_lr(g);
  }
  last_lr_ = current_lrs();
}

void LRScheduler::set_base_lrs(std::vector<double> lrs, bool shared) {
  if (shared || first_on_optimizer_) {
    for (size_t g = 0; g < lrs.size(); ++g) optimizer_->set_initial_lr(g, lrs[g]);
  }
  base_lrs_ = std::move(lrs);
}

void LRScheduler::initial_step() {
  // PyTorch constructs with last_epoch = -1 and steps once.
  last_epoch_ = -1;
  step();
}

void LRScheduler::step() {
  ++last_epoch_;
  try {
    apply(compute_lr());
  } catch (...) {
    --last_epoch_;
    throw;
  }
}

void LRScheduler::jump_to(int64_t epoch) {
  const int64_t previous = last_epoch_;
  last_epoch_ = epoch;
  try {
    std::optional<std::vector<double>> closed = closed_form_lr();
    apply(closed ? *closed : compute_lr());
  } catch (...) {
    last_epoch_ = previous;
    throw;
  }
}

std::vector<double> LRScheduler::current_lrs() const {
  std::vector<double> lrs(num_groups());
  for (size_t g = 0; g < lrs.size(); ++g) lrs[g] = optimizer_->lr(g);
  return lrs;
}

void LRScheduler::apply(const std::vector<double>& lrs) {
  for (size_t g = 0; g < lrs.size(); ++g) optimizer_->set_lr(g, lrs[g]);
  last_lr_ = lrs;
}

StateDict LRScheduler::state_dict() const {
  StateDict state;
  state.insert("last_epoch", detail::integer_tensor(last_epoch_));
  for (size_t g = 0; g < base_lrs_.size(); ++g) {
    state.insert("base_lrs." + std::to_string(g), detail::number_tensor(base_lrs_[g]));
  }
  for (size_t g = 0; g < last_lr_.size(); ++g) {
    state.insert("last_lr." + std::to_string(g), detail::number_tensor(last_lr_[g]));
  }
  save_extra(state);
  return state;
}

void LRScheduler::load_state_dict(const StateDict& state) {
  const int64_t last_epoch = detail::state_integer(state, "last_epoch", name_);
  std::vector<double> base_lrs(base_lrs_.size());
  std::vector<double> last_lr(last_lr_.size());
  for (size_t g = 0; g < base_lrs.size(); ++g) {
    base_lrs[g] = detail::state_number(state, "base_lrs." + std::to_string(g), name_);
  }
  for (size_t g = 0; g < last_lr.size(); ++g) {
    last_lr[g] = detail::state_number(state, "last_lr." + std::to_string(g), name_);
  }
  if (state.contains("base_lrs." + std::to_string(base_lrs.size())) ||
      state.contains("last_lr." + std::to_string(last_lr.size()))) {
    throw ValueError(name_ + ": load_state_dict: the state dict has more than " +
                     std::to_string(base_lrs.size()) + " parameter groups");
  }
  load_extra(state);  // validates its own keys before changing anything
  last_epoch_ = last_epoch;
  base_lrs_ = std::move(base_lrs);
  last_lr_ = std::move(last_lr);
}

namespace detail {

std::string format_number(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  // Shortest form that reads back: try fewer digits first.
  for (int digits = 6; digits < 17; ++digits) {
    std::ostringstream shorter;
    shorter.precision(digits);
    shorter << value;
    if (std::stod(shorter.str()) == value || std::isnan(value)) return shorter.str();
  }
  return out.str();
}

void check_scheduler_positive(const std::string& scheduler, const char* option, double value) {
  if (!(value > 0)) {
    throw ValueError(scheduler + ": " + option + " must be > 0, got " + format_number(value));
  }
}

void check_scheduler_non_negative(const std::string& scheduler, const char* option, double value) {
  if (!(value >= 0)) {
    throw ValueError(scheduler + ": " + option + " must be >= 0, got " + format_number(value));
  }
}

namespace {
const Tensor& state_scalar(const StateDict& state, const std::string& key,
                           const std::string& scheduler) {
  const Tensor* value = state.find(key);
  if (value == nullptr) {
    throw ValueError(scheduler + ": load_state_dict: missing key '" + key + "'");
  }
  if (value->numel() != 1) {
    throw ValueError(scheduler + ": load_state_dict: '" + key + "' should hold one number, has " +
                     std::to_string(value->numel()));
  }
  return *value;
}
}  // namespace

double state_number(const StateDict& state, const std::string& key, const std::string& scheduler) {
  return state_scalar(state, key, scheduler).item<double>();
}

int64_t state_integer(const StateDict& state, const std::string& key,
                      const std::string& scheduler) {
  return state_scalar(state, key, scheduler).item<int64_t>();
}

Tensor number_tensor(double value) { return scalar_tensor(value, Dtype::float64); }
Tensor integer_tensor(int64_t value) { return scalar_tensor(value, Dtype::int64); }

namespace {
std::string child_prefix(size_t index) { return "schedulers." + std::to_string(index) + "."; }

void load_all(const StateDict& state, const std::vector<LRScheduler*>& schedulers,
              const std::function<void(const StateDict&)>& load_self) {
  load_self(state);
  for (size_t i = 0; i < schedulers.size(); ++i) {
    schedulers[i]->load_state_dict(sub_state(state, child_prefix(i)));
  }
}
}  // namespace

void save_children(StateDict& state, const std::vector<LRScheduler*>& schedulers) {
  for (size_t i = 0; i < schedulers.size(); ++i) {
    for (const auto& [key, value] : schedulers[i]->state_dict()) {
      state.insert(child_prefix(i) + key, value);
    }
  }
}

StateDict sub_state(const StateDict& state, const std::string& prefix) {
  StateDict out;
  for (const auto& [key, value] : state) {
    if (key.rfind(prefix, 0) == 0) out.insert(key.substr(prefix.size()), value);
  }
  return out;
}

void load_composite_state(const StateDict& state, const StateDict& backup,
                          const std::vector<LRScheduler*>& schedulers,
                          const std::function<void(const StateDict&)>& load_self) {
  try {
    load_all(state, schedulers, load_self);
  } catch (...) {
    load_all(backup, schedulers, load_self);
    throw;
  }
}

}  // namespace detail
}  // namespace cajal::optim

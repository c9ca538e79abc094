#include "cajal/optim/adabound.h"

#include <cmath>
#include <limits>

#include "cajal/ops/math.h"

namespace cajal::optim {

void AdaBoundOptions::validate(const std::string& optimizer) const {
  detail::validate_adam_like(optimizer, lr, betas, eps, weight_decay);
  detail::check_non_negative(optimizer, "final_lr", final_lr);
  detail::check_unit_interval(optimizer, "gamma", gamma);
}

namespace {
std::vector<ParamGroup<AdaBoundOptions>> with_amsbound(
    std::vector<ParamGroup<AdaBoundOptions>> groups) {
  for (auto& group : groups) group.options.amsbound = true;
  return groups;
}
}  // namespace

AdaBound::AdaBound(std::vector<Tensor> params, AdaBoundOptions options)
    : AdaBound("AdaBound", std::vector<Group>{Group{std::move(params), options}}) {}

AdaBound::AdaBound(std::vector<Group> groups) : AdaBound("AdaBound", std::move(groups)) {}

AdaBound::AdaBound(std::string name, std::vector<Group> groups)
    : BetasOptimizer(std::move(name), std::move(groups)) {
  record_base_lrs();
}

AMSBound::AMSBound(std::vector<Tensor> params, AdaBoundOptions options)
    : AdaBound("AMSBound", with_amsbound({Group{std::move(params), options}})) {}

AMSBound::AMSBound(std::vector<Group> groups)
    : AdaBound("AMSBound", with_amsbound(std::move(groups))) {}

void AdaBound::record_base_lrs() {
  // Groups added with add_param_group after construction get their lr at their first step.
  for (size_t g = base_lrs_.size(); g < param_groups().size(); ++g) {
    base_lrs_.push_back(param_groups()[g].options.lr);
  }
}

void AdaBound::save_extra(StateDict& state) const {
  for (size_t g = 0; g < base_lrs_.size(); ++g) {
    state.insert("param_groups." + std::to_string(g) + ".base_lr",
                 detail::option_tensor(base_lrs_[g]));
  }
}

void AdaBound::load_extra(const StateDict& state) {
  std::vector<double> loaded(param_groups().size());
  for (size_t g = 0; g < loaded.size(); ++g) {
    const std::string key = "param_groups." + std::to_string(g) + ".base_lr";
    loaded[g] = detail::option_value(state, key, name());
    detail::check_non_negative(name(), key.c_str(), loaded[g]);
  }
  base_lrs_ = std::move(loaded);
}

void AdaBound::update() {
  record_base_lrs();
  for_each_parameter([this](size_t g, const Options& options, Tensor& param, Tensor& grad,
                            OrderedDict<Tensor>& state) {
    const auto [beta1, beta2] = options.betas;
    // The reference implementation's way of letting a schedule on lr move the bounds too.
    const double final_lr =
        base_lrs_[g] > 0 ? options.final_lr * options.lr / base_lrs_[g] : options.final_lr;
    const double step = detail::increment_float_step(state, param, {"exp_avg", "exp_avg_sq"});
    if (options.amsbound && !state.contains("max_exp_avg_sq")) {
      state.insert("max_exp_avg_sq", zeros_like(param));
    }

    grad = detail::apply_weight_decay(param, grad, options.lr, options.weight_decay, false);
    Tensor& exp_avg = state.at("exp_avg");
    Tensor& exp_avg_sq = state.at("exp_avg_sq");
    exp_avg.mul_(beta1).add_(grad, 1 - beta1);
    exp_avg_sq.mul_(beta2).add_(grad * grad, 1 - beta2);
    Tensor second_moment = exp_avg_sq;
    if (options.amsbound) {
      Tensor& max_exp_avg_sq = state.at("max_exp_avg_sq");
      max_exp_avg_sq.copy_(maximum(max_exp_avg_sq, exp_avg_sq));
      second_moment = max_exp_avg_sq;
    }
    const double bias_correction1 = 1 - std::pow(beta1, step);
    const double bias_correction2 = 1 - std::pow(beta2, step);
    const double step_size = options.lr * std::sqrt(bias_correction2) / bias_correction1;
    // gamma = 0 gives upper = inf and lower = 0: no bound, plain Adam.
    const double lower = final_lr * (1 - 1 / (options.gamma * step + 1));
    const double upper = options.gamma == 0 ? std::numeric_limits<double>::infinity()
                                            : final_lr * (1 + 1 / (options.gamma * step));
    Tensor bounded = clamp(step_size / (sqrt(second_moment) + options.eps), lower, upper);
    param.sub_(bounded * exp_avg);
  });
}

}  // namespace cajal::optim

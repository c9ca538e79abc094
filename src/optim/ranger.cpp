#include "cajal/optim/ranger.h"

#include <memory>

namespace cajal::optim {

namespace {
const char kName[] = "Ranger";

std::shared_ptr<Optimizer> make_radam(const std::vector<ParamGroup<RangerOptions>>& groups) {
  if (groups.empty()) throw ValueError(std::string(kName) + ": no parameter groups");
  std::vector<ParamGroup<RAdamOptions>> radam_groups;
  for (const ParamGroup<RangerOptions>& group : groups) {
    group.options.validate(kName);
    if (group.params.empty()) throw ValueError(std::string(kName) + ": a parameter group is empty");
    if (group.options.k != groups.front().options.k) {
      throw ValueError(std::string(kName) +
                       ": k must be the same in every parameter group (the slow weights are "
                       "synchronized together), got " +
                       std::to_string(groups.front().options.k) + " and " +
                       std::to_string(group.options.k));
    }
    if (group.options.alpha != groups.front().options.alpha) {
      throw ValueError(std::string(kName) +
                       ": alpha must be the same in every parameter group, got " +
                       std::to_string(groups.front().options.alpha) + " and " +
                       std::to_string(group.options.alpha));
    }
    radam_groups.push_back({group.params,
                            {.lr = group.options.lr,
                             .betas = group.options.betas,
                             .eps = group.options.eps,
                             .weight_decay = group.options.weight_decay,
                             .decoupled_weight_decay = true}});
  }
  return std::make_shared<RAdam>(std::move(radam_groups));
}

LookaheadOptions lookahead_options(const std::vector<ParamGroup<RangerOptions>>& groups) {
  if (groups.empty()) return {};
  return {.k = groups.front().options.k, .alpha = groups.front().options.alpha};
}
}  // namespace

void RangerOptions::validate(const std::string& optimizer) const {
  detail::validate_adam_like(optimizer, lr, betas, eps, weight_decay);
  LookaheadOptions{.k = k, .alpha = alpha}.validate(optimizer);
}

Ranger::Ranger(std::vector<Tensor> params, RangerOptions options)
    : Ranger(std::vector<ParamGroup<RangerOptions>>{{std::move(params), options}}) {}

Ranger::Ranger(std::vector<ParamGroup<RangerOptions>> groups)
    : Lookahead(kName, make_radam(groups), lookahead_options(groups)) {}

}  // namespace cajal::optim

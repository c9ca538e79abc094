#include "cajal/optim/lambda_lr.h"

namespace cajal::optim {

namespace {
std::vector<LRLambda> one_per_group(const std::string& scheduler, std::vector<LRLambda> lambdas,
                                    size_t groups) {
  if (lambdas.size() != groups) {
    throw ValueError(scheduler + ": lr_lambdas has " + std::to_string(lambdas.size()) +
                     " functions for " + std::to_string(groups) + " parameter groups");
  }
  for (size_t g = 0; g < lambdas.size(); ++g) {
    if (!lambdas[g]) {
      throw ValueError(scheduler + ": lr_lambdas[" + std::to_string(g) + "] is empty");
    }
  }
  return lambdas;
}
}  // namespace

LambdaLR::LambdaLR(Optimizer& optimizer, LRLambda lr_lambda)
    : LambdaLR(optimizer, std::vector<LRLambda>(optimizer.num_param_groups(), lr_lambda)) {}

LambdaLR::LambdaLR(Optimizer& optimizer, std::vector<LRLambda> lr_lambdas)
    : LRScheduler("LambdaLR", optimizer),
      lr_lambdas_(one_per_group(name(), std::move(lr_lambdas), optimizer.num_param_groups())) {
  initial_step();
}

std::vector<double> LambdaLR::compute_lr() {
  std::vector<double> lrs = base_lrs();
  for (size_t g = 0; g < lrs.size(); ++g) lrs[g] *= lr_lambdas_[g](last_epoch());
  return lrs;
}

MultiplicativeLR::MultiplicativeLR(Optimizer& optimizer, LRLambda lr_lambda)
    : MultiplicativeLR(optimizer, std::vector<LRLambda>(optimizer.num_param_groups(), lr_lambda)) {}

MultiplicativeLR::MultiplicativeLR(Optimizer& optimizer, std::vector<LRLambda> lr_lambdas)
    : LRScheduler("MultiplicativeLR", optimizer),
      lr_lambdas_(one_per_group(name(), std::move(lr_lambdas), optimizer.num_param_groups())) {
  initial_step();
}

std::vector<double> MultiplicativeLR::compute_lr() {
  std::vector<double> lrs = current_lrs();
  if (last_epoch() == 0) return lrs;
  for (size_t g = 0; g < lrs.size(); ++g) lrs[g] *= lr_lambdas_[g](last_epoch());
  return lrs;
}

}  // namespace cajal::optim

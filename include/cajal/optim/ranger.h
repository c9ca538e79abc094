#pragma once
// Ranger (Wright, 2019, "New Deep Learning Optimizer, Ranger: Synergistic combination of RAdam +
// LookAhead for the best of both"): RAdam as the inner optimizer of Lookahead. Defaults are the
// reference implementation's (lessw2020/Ranger-Deep-Learning-Optimizer): lr 1e-3, betas
// (0.95, 0.999), eps 1e-5, weight_decay 0, k 6, alpha 0.5; rectification above rho_t = 5.
// As in the reference, weight decay is decoupled (the parameter is scaled by 1 - lr weight_decay
// before each RAdam step). The 2020 gradient-centralization variant is not included.
//
//   optim::Ranger opt(net.parameters(), {.lr = 1e-3});
//
// The state dict is Lookahead's; the inner RAdam's keys are prefixed "inner.".
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cajal/optim/lookahead.h"
#include "cajal/optim/radam.h"

namespace cajal::optim {

struct RangerOptions {
  double lr = 1e-3;
  std::pair<double, double> betas{0.95, 0.999};
  double eps = 1e-5;
  double weight_decay = 0;
  int64_t k = 6;       // Lookahead: RAdam steps per synchronization
  double alpha = 0.5;  // Lookahead: slow-weight step size

  // ValueError naming the option: lr, eps, weight_decay >= 0; betas in [0, 1); k >= 1;
  // alpha in [0, 1].
  void validate(const std::string& optimizer) const;
};

class Ranger : public Lookahead {
 public:
  Ranger(std::vector<Tensor> params, RangerOptions options = {});
  // Per-group lr, betas, eps and weight_decay; k and alpha must be the same in every group, since
  // the slow weights of all groups are synchronized together (ValueError otherwise).
  explicit Ranger(std::vector<ParamGroup<RangerOptions>> groups);

  RAdam& radam() { return static_cast<RAdam&>(inner()); }
  const RAdam& radam() const { return static_cast<const RAdam&>(inner()); }
};

}  // namespace cajal::optim

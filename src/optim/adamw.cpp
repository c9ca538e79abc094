#include "cajal/optim/adamw.h"

namespace cajal::optim {

void AdamWOptions::validate(const std::string& optimizer) const {
  detail::validate_adam_like(optimizer, lr, betas, eps, weight_decay);
}

}  // namespace cajal::optim

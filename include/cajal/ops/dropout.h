#pragma once
// Dropout (functional, with a training flag): identity when not training.
#include "cajal/core/tensor.h"

namespace cajal {

// Zeroes each element with probability p and scales the rest by 1/(1-p).
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true);
// Dropout for SELU networks: keeps mean and variance (Klambauer et al., 2017).
Tensor alpha_dropout(const Tensor& x, double p = 0.5, bool training = true);

}  // namespace cajal

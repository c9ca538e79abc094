#pragma once
// Gradient clipping, called between backward() and optimizer.step():
//
//   loss.backward();
//   Tensor total = nn::clip_grad_norm_(net.parameters(), 1.0);  // the norm before clipping
//   opt.step();
//
// Both functions modify the gradients in place, skip tensors whose grad() is undefined and record
// no graph. They follow torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (PyTorch 1.13).
#include <limits>
#include <vector>

#include "cajal/core/tensor.h"

namespace cajal::nn {

// Rescales all gradients together so that their global norm is at most max_norm. The global norm
// is the norm_type-norm of all gradients concatenated into one vector (norm_type 2, 1, any p > 0,
// or infinity for the largest |g|). When it exceeds max_norm, every gradient is multiplied by
// max_norm / (total + 1e-6) (the 1e-6 keeps the division finite, as PyTorch's); otherwise they
// are left as they are.
// Returns the total norm before clipping as a 0-dim tensor of the gradients' dtype (float64 when
// they mix float32 and float64; a float32 zero when no tensor has a gradient), so it can be
// logged or monitored for explosions.
// A non-finite total (a NaN or infinite gradient) makes the factor NaN or 0, and the gradients
// NaN, as in PyTorch; with error_if_nonfinite it throws ValueError instead, leaving them as they
// are. Requires max_norm >= 0 and norm_type > 0.
Tensor clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

// Clamps every gradient element into [-clip_value, clip_value]. Requires clip_value >= 0.
// Unlike norm clipping it changes the gradient's direction; prefer clip_grad_norm_ unless a
// recipe asks for this.
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace cajal::nn

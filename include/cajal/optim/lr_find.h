#pragma once
// lr_find: the learning-rate range test (Smith, 2017, "Cyclical Learning Rates for Training
// Neural Networks", section 3.3; Smith, 2018, "A disciplined approach to neural network
// hyper-parameters"), as fast.ai's lr_find and the pytorch-lr-finder package run it.
//
// Trains for up to num_steps batches while the rate grows from start_lr to end_lr (geometrically
// or linearly), recording the loss of each batch and its exponential moving average. The loss
// first barely moves (rate too small), then falls, then blows up (rate too large); the sweep stops
// early once the smoothed loss exceeds diverge_threshold times its best value.
//
//   optim::SGD opt(net.parameters(), {.lr = 0.01, .momentum = 0.9});
//   auto result = optim::lr_find(opt, [&] {
//     auto [x, y] = next_batch();                 // draws a new batch each call
//     return nn::functional::cross_entropy(net(x), y);
//   }, {.model = &net});
//   // result.suggested_lr: where the loss falls fastest; for 1cycle, max_lr is often a few
//   // times larger, a little below where the curve turns up (see docs/schedules.md).
//
// The sweep trains the model. With restore (the default), lr_find puts back afterwards (also when
// step_loss throws): the value of every parameter the optimizer holds, the optimizer's state
// (rates, momentum buffers, step counts) and, when `model` is given, the model's whole state dict
// (buffers such as batch-norm running statistics too); gradients are cleared. With restore =
// false only the rates are put back and the model keeps the weights the sweep left.
// The result is deterministic when step_loss is (seed the batches with manual_seed).
#include <cstdint>
#include <functional>
#include <vector>

#include "cajal/core/tensor.h"
#include "cajal/optim/optimizer.h"

namespace cajal::nn {
class Module;
}

namespace cajal::optim {

enum class LRFindMode { exponential, linear };

struct LRFindOptions {
  double start_lr = 1e-7;   // > 0 (exponential), >= 0 (linear)
  double end_lr = 10;       // > start_lr
  int64_t num_steps = 100;  // batches in the sweep, >= 2 (100 to 300 is typical)
  LRFindMode mode = LRFindMode::exponential;
  // Weight of the newest loss in the moving average: smoothed = smooth * loss +
  // (1 - smooth) * previous; in (0, 1], 1 = no smoothing.
  double smooth = 0.05;
  // Stop once the smoothed loss exceeds diverge_threshold * its lowest value so far; > 1.
  double diverge_threshold = 5;
  bool restore = true;
  nn::Module* model = nullptr;  // restored whole when given (and restore is true)
  // Points left out at each end when looking for the steepest descent: the start is noisy and
  // the end is the blow-up. Both >= 0; when too few points remain, the whole curve is used.
  int64_t skip_start = 10;
  int64_t skip_end = 5;
};

struct LRFindResult {
  std::vector<double> lrs;              // the rate of each step taken
  std::vector<double> losses;           // the loss step_loss returned at that step
  std::vector<double> smoothed_losses;  // its exponential moving average
  bool diverged = false;                // stopped early: the loss blew up or was not finite
  // The rate where the smoothed loss falls fastest per step of the sweep (per equal ratio of
  // rates in exponential mode): a good rate for constant-rate training. The slope at each point
  // is taken across 5% of the (trimmed) curve on either side, so a single noisy batch does not
  // decide it.
  double steepest_lr = 0;
  // The rate at the lowest smoothed loss; fast.ai's other suggestion is min_loss_lr / 10.
  double min_loss_lr = 0;
  double suggested_lr = 0;  // steepest_lr (all three are 0 when no loss was finite)
};

// step_loss draws the next batch, runs the forward pass and returns the scalar loss; lr_find
// clears the gradients, calls backward() and steps the optimizer itself. Every group gets the
// same swept rate. ValueError naming the option for bad options, and when step_loss returns an
// undefined or non-scalar tensor.
LRFindResult lr_find(Optimizer& optimizer, const std::function<Tensor()>& step_loss,
                     const LRFindOptions& options = {});

}  // namespace cajal::optim

#include "cajal/optim/lr_find.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/shape.h"
#include "cajal/nn/module.h"
#include "cajal/optim/lr_scheduler.h"

namespace cajal::optim {

namespace {

void validate(const LRFindOptions& options) {
  const std::string who = "lr_find";
  if (options.mode == LRFindMode::exponential) {
    detail::check_scheduler_positive(who, "start_lr", options.start_lr);
  } else {
    detail::check_scheduler_non_negative(who, "start_lr", options.start_lr);
  }
  if (!(options.end_lr > options.start_lr) || !std::isfinite(options.end_lr)) {
    throw ValueError("lr_find: end_lr must be finite and > start_lr (" +
                     detail::format_number(options.start_lr) + "), got " +
                     detail::format_number(options.end_lr));
  }
  if (options.num_steps < 2) {
    throw ValueError("lr_find: num_steps must be >= 2, got " + std::to_string(options.num_steps));
  }
  if (!(options.smooth > 0 && options.smooth <= 1)) {
    throw ValueError("lr_find: smooth must be in (0, 1], got " +
                     detail::format_number(options.smooth));
  }
  if (!(options.diverge_threshold > 1)) {
    throw ValueError("lr_find: diverge_threshold must be > 1, got " +
                     detail::format_number(options.diverge_threshold));
  }
  if (options.skip_start < 0 || options.skip_end < 0) {
    throw ValueError("lr_find: skip_start and skip_end must be >= 0, got " +
                     std::to_string(options.skip_start) + " and " +
                     std::to_string(options.skip_end));
  }
}

double swept_lr(const LRFindOptions& options, int64_t step) {
  const double fraction = static_cast<double>(step) / static_cast<double>(options.num_steps - 1);
  if (options.mode == LRFindMode::exponential) {
    return options.start_lr * std::pow(options.end_lr / options.start_lr, fraction);
  }
  return options.start_lr + (options.end_lr - options.start_lr) * fraction;
}

// What the sweep changes, taken before it and put back after it.
class Snapshot {
 public:
  Snapshot(Optimizer& optimizer, const LRFindOptions& options)
      : optimizer_(optimizer), restore_(options.restore), model_(options.model) {
    for (size_t g = 0; g < optimizer.num_param_groups(); ++g) lrs_.push_back(optimizer.lr(g));
    if (!restore_) return;
    optimizer_state_ = optimizer.state_dict();
    for (const Tensor& param : optimizer.parameters()) params_.push_back(param.detach().clone());
    if (model_ != nullptr) {
      for (const auto& [key, value] : model_->state_dict()) {
        model_state_.insert(key, value.detach().clone());
      }
    }
  }

  void restore() {
    if (restore_) {
      optimizer_.load_state_dict(optimizer_state_);
      no_grad guard;
      const std::vector<Tensor> params = optimizer_.parameters();
      for (size_t i = 0; i < params.size(); ++i) params[i].detach().copy_(params_[i]);
      if (model_ != nullptr) model_->load_state_dict(model_state_);
      optimizer_.zero_grad();
    }
    for (size_t g = 0; g < lrs_.size(); ++g) optimizer_.set_lr(g, lrs_[g]);
  }

 private:
  Optimizer& optimizer_;
  bool restore_;
  nn::Module* model_;
  std::vector<double> lrs_;
  StateDict optimizer_state_;
  std::vector<Tensor> params_;
  StateDict model_state_;
};

// The index of the most negative slope of values[begin, end). Each slope is a difference across
// `half_width` points on each side (one-sided at the ends; with half_width 1 it is
// numpy.gradient), so that one noisy batch does not decide it.
size_t steepest_index(const std::vector<double>& values, size_t begin, size_t end,
                      size_t half_width) {
  if (end - begin < 2) return begin;
  size_t best = begin;
  double best_slope = std::numeric_limits<double>::infinity();
  for (size_t i = begin; i < end; ++i) {
    const size_t low = i >= begin + half_width ? i - half_width : begin;
    const size_t high = std::min(end - 1, i + half_width);
    const double slope = (values[high] - values[low]) / static_cast<double>(high - low);
    if (slope < best_slope) {
      best_slope = slope;
      best = i;
    }
  }
  return best;
}

void suggest(LRFindResult& result, const LRFindOptions& options) {
  // A non-finite last point says "diverged" but would spoil the slopes.
  size_t n = result.smoothed_losses.size();
  while (n > 0 && !std::isfinite(result.smoothed_losses[n - 1])) --n;
  if (n == 0) return;
  const auto skip_start = static_cast<size_t>(options.skip_start);
  const auto skip_end = static_cast<size_t>(options.skip_end);
  size_t begin = 0;
  size_t end = n;
  // Only skip when at least three points are left to compare.
  if (skip_start + skip_end + 3 <= n) {
    begin = skip_start;
    end = n - skip_end;
  }
  const size_t half_width = std::max<size_t>(1, (end - begin) / 20);
  result.steepest_lr = result.lrs[steepest_index(result.smoothed_losses, begin, end, half_width)];
  const auto lowest =
      std::min_element(result.smoothed_losses.begin(),
                       result.smoothed_losses.begin() + static_cast<std::ptrdiff_t>(n)) -
      result.smoothed_losses.begin();
  result.min_loss_lr = result.lrs[static_cast<size_t>(lowest)];
  result.suggested_lr = result.steepest_lr;
}

}  // namespace

LRFindResult lr_find(Optimizer& optimizer, const std::function<Tensor()>& step_loss,
                     const LRFindOptions& options) {
  validate(options);
  if (!step_loss) throw ValueError("lr_find: step_loss is empty");
  Snapshot snapshot(optimizer, options);
  LRFindResult result;
  try {
    double best = std::numeric_limits<double>::infinity();
    for (int64_t step = 0; step < options.num_steps; ++step) {
      const double lr = swept_lr(options, step);
      for (size_t g = 0; g < optimizer.num_param_groups(); ++g) optimizer.set_lr(g, lr);
      optimizer.zero_grad();
      Tensor loss = step_loss();
      if (!loss.defined()) throw ValueError("lr_find: step_loss returned an undefined tensor");
      if (loss.numel() != 1) {
        throw ValueError("lr_find: step_loss must return a scalar loss, got shape " +
                         shape_string(loss.shape()));
      }
      const double value = loss.item<double>();
      const double smoothed =
          result.smoothed_losses.empty()
              ? value
              : options.smooth * value + (1 - options.smooth) * result.smoothed_losses.back();
      result.lrs.push_back(lr);
      result.losses.push_back(value);
      result.smoothed_losses.push_back(smoothed);
      if (!std::isfinite(smoothed)) {
        result.diverged = true;
        break;
      }
      loss.backward();
      optimizer.step();
      best = std::min(best, smoothed);
      if (smoothed > options.diverge_threshold * best) {
        result.diverged = true;
        break;
      }
    }
  } catch (...) {
    snapshot.restore();
    throw;
  }
  snapshot.restore();
  suggest(result, options);
  return result;
}

}  // namespace cajal::optim

#pragma once
// Helpers shared by the layer tests (normalization, embedding, activation layers, maxout):
// golden cases that carry a module's state under PyTorch's key names, gradient checks of a
// module's parameters, and state_dict round trips.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/module.h"
#include "support/golden.h"

namespace cajal::testing {

// A list of strings written by the generator (params[key]).
inline std::vector<std::string> text_list(const GoldenCase& c, const std::string& key) {
  return nlohmann::json::parse(c.params_json.at(key)).get<std::vector<std::string>>();
}

inline double param_or(const GoldenCase& c, const std::string& key, double fallback) {
  return c.params_json.count(key) ? c.param(key) : fallback;
}

// The case's inputs [first, first + names.size()) as a state dict under `names` (PyTorch's keys).
inline StateDict golden_state(const GoldenCase& c, const std::vector<std::string>& names,
                              size_t first) {
  StateDict state;
  for (size_t i = 0; i < names.size(); ++i) state.insert(names[i], c.inputs.at(first + i));
  return state;
}

// Floating tensors within tolerance; other dtypes exactly equal.
inline ::testing::AssertionResult values_match(const Tensor& actual, const Tensor& expected,
                                               double rtol, double atol) {
  if (!expected.is_floating_point()) {
    if (actual.defined() && equal(actual, expected)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "expected exactly " << expected << ", got "
           << (actual.defined() ? to_string(actual) : std::string("undefined"));
  }
  return tensors_close(actual, expected, rtol, atol);
}

// Compares the gradient of sum(run() * probe) with respect to every parameter of `module` that
// requires grad with central differences (the module must be float64). gradcheck() cannot do
// this: it perturbs copies of its inputs, while a module reads its own parameters. Up to
// `max_elements` elements of each parameter are checked (evenly spaced).
inline ::testing::AssertionResult parameter_gradcheck(nn::Module& module,
                                                      const std::function<Tensor()>& run,
                                                      double eps = 1e-6, double atol = 1e-6,
                                                      double rtol = 1e-4,
                                                      int64_t max_elements = 64) {
  bool any = false;
  for (const Tensor& param : module.parameters()) any = any || param.requires_grad();
  if (!any) return ::testing::AssertionSuccess();
  Tensor probe;
  {
    no_grad guard;
    probe = randn_like(run());
  }
  module.zero_grad();
  sum(run() * probe).backward();
  auto value = [&] {
    no_grad guard;
    return sum(run() * probe).item<double>();
  };
  for (const auto& [name, param] : module.named_parameters()) {
    if (!param.requires_grad()) continue;
    if (param.dtype() != Dtype::float64 || !param.is_contiguous()) {
      return ::testing::AssertionFailure() << name << " must be contiguous float64";
    }
    Tensor analytic = param.grad().defined() ? param.grad() : zeros_like(param);
    std::vector<double> grad = to_vector<double>(analytic);
    double* data = param.data_ptr<double>();
    const int64_t n = param.numel();
    const int64_t step = std::max<int64_t>(1, n / max_elements);
    for (int64_t k = 0; k < n; k += step) {
      const double original = data[k];
      data[k] = original + eps;
      const double plus = value();
      data[k] = original - eps;
      const double minus = value();
      data[k] = original;
      const double numeric = (plus - minus) / (2 * eps);
      const double a = grad[static_cast<size_t>(k)];
      if (std::abs(a - numeric) > atol + rtol * std::abs(numeric)) {
        return ::testing::AssertionFailure()
               << "d/d " << name << "[" << k << "]: analytic " << a << " vs numeric " << numeric;
      }
    }
  }
  return ::testing::AssertionSuccess();
}

// gradcheck (first and second order) of module(x) with respect to x (float64).
inline ::testing::AssertionResult input_gradcheck(nn::Module& module, const Tensor& x) {
  Tensor input = x.detach().clone().requires_grad_(true);
  auto result = autograd::gradcheck([&](const std::vector<Tensor>& v) { return module(v[0]); },
                                    {input}, {.check_second_order = true});
  if (result.ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << result.message;
}

// A copy of a state dict that does not share storage with the module it came from.
inline StateDict snapshot(const StateDict& state) {
  StateDict copy;
  for (const auto& [key, tensor] : state) copy.insert(key, tensor.clone());
  return copy;
}

// Every key and tensor of `actual` equals `expected`'s, bit for bit.
inline ::testing::AssertionResult state_dicts_equal(const StateDict& actual,
                                                    const StateDict& expected) {
  if (actual.keys() != expected.keys()) return ::testing::AssertionFailure() << "keys differ";
  for (const auto& [key, tensor] : expected) {
    if (!equal(*actual.find(key), tensor)) {
      return ::testing::AssertionFailure() << key << " differs";
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace cajal::testing

#pragma once
// Shared by the loss tests (tests/nn/loss_*_test.cpp): reading golden-case options written by
// tools/golden/losses.py, tolerances, a gradient check helper, and the names every loss test uses
// unqualified (F for nn::functional, Reduction, GoldenCase, extra, leaf, gradcheck_ok).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/functional/loss.h"
#include "cajal/nn/loss.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal::testing {

using nn::functional::Reduction;

inline bool has_param(const GoldenCase& c, const std::string& key) {
  return c.params_json.count(key) > 0;
}

inline double param_or(const GoldenCase& c, const std::string& key, double fallback) {
  return has_param(c, key) ? c.param(key) : fallback;
}

inline bool flag_or(const GoldenCase& c, const std::string& key, bool fallback) {
  return has_param(c, key) ? nlohmann::json::parse(c.params_json.at(key)).get<bool>() : fallback;
}

inline Reduction reduction_of(const GoldenCase& c) {
  const std::string name = c.text("reduction");
  if (name == "mean") return Reduction::mean;
  if (name == "sum") return Reduction::sum;
  if (name == "none") return Reduction::none;
  if (name == "batchmean") return Reduction::batchmean;
  ADD_FAILURE() << c.name << ": unknown reduction " << name;
  return Reduction::mean;
}

// The option tensors named in "extras" (weight, pos_weight), found among the inputs after the
// first `first` ones.
inline std::map<std::string, Tensor> extras_of(const GoldenCase& c, const std::vector<Tensor>& v,
                                               size_t first) {
  std::map<std::string, Tensor> out;
  if (!has_param(c, "extras")) return out;
  auto names = nlohmann::json::parse(c.params_json.at("extras")).get<std::vector<std::string>>();
  for (size_t i = 0; i < names.size(); ++i) out[names[i]] = v.at(first + i);
  return out;
}

inline Tensor extra(const std::map<std::string, Tensor>& extras, const std::string& name) {
  auto found = extras.find(name);
  return found == extras.end() ? Tensor() : found->second;
}

// Runs every case of a loss family through `apply`; float64 cases to rtol 1e-10, float32 cases
// to the stated float tolerance; rtol_overrides names cases with their own (explained there).
inline void check_family(
    const std::string& family,
    const std::function<Tensor(const GoldenCase&, const std::vector<Tensor>&)>& apply,
    size_t minimum_cases, double f32_rtol = 1e-5, double f32_atol = 1e-6,
    const std::map<std::string, double>& rtol_overrides = {}) {
  auto cases = load_golden(family);
  ASSERT_GE(cases.size(), minimum_cases);
  for (const auto& [name, c] : cases) {
    const bool f32 = c.inputs[0].dtype() == Dtype::float32;
    double rtol = f32 ? f32_rtol : 1e-10;
    if (auto found = rtol_overrides.find(name); found != rtol_overrides.end()) rtol = found->second;
    check_golden(
        c, [&](const std::vector<Tensor>& v) { return apply(c, v); }, rtol, f32 ? f32_atol : 1e-12);
  }
}

// A float64 leaf that requires grad.
inline Tensor leaf(Tensor t) { return t.to(Dtype::float64).detach().requires_grad_(true); }

// Gradient check (first and second order) of fn over inputs.
inline ::testing::AssertionResult gradcheck_ok(
    const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Tensor>& inputs,
    bool second_order = true) {
  auto result = autograd::gradcheck(fn, inputs, {.check_second_order = second_order});
  if (result.ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << result.message;
}

}  // namespace cajal::testing

namespace cajal {
namespace F = nn::functional;
using nn::Reduction;
using testing::extra;
using testing::GoldenCase;
using testing::gradcheck_ok;
using testing::leaf;
}  // namespace cajal

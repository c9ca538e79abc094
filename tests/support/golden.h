#pragma once
// Reference values computed by PyTorch (tools/golden/*.py, committed as tests/golden/*.json).
// Each case holds inputs, an upstream gradient, the output, and the gradients of
// sum(output * grad_output) with respect to each input (absent where the input needs none).
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cajal/cajal.h"

namespace cajal::testing {

struct GoldenCase {
  std::string name;
  std::vector<Tensor> inputs;
  std::vector<bool> requires_grad;
  std::vector<Tensor> outputs;
  std::vector<Tensor> grad_outputs;
  std::vector<std::optional<Tensor>> grads;
  // Arbitrary per-case parameters written by the generator (ints, floats, strings, lists).
  std::map<std::string, std::string> params_json;
  double param(const std::string& key) const;
  std::vector<int64_t> int_list(const std::string& key) const;
  std::string text(const std::string& key) const;
};

// Loads tests/golden/<family>.json.
std::map<std::string, GoldenCase> load_golden(const std::string& family);

// Runs fn on the case's inputs (fresh copies, with requires_grad as recorded), compares its first
// output and, when the case has gradients, backpropagates grad_outputs[0] and compares each
// input's gradient. Failures are reported through GoogleTest with the case name.
void check_golden(const GoldenCase& c, const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                  double rtol, double atol);

// EXPECT-style comparison with a message naming the worst element.
::testing::AssertionResult tensors_close(const Tensor& actual, const Tensor& expected, double rtol,
                                         double atol);

}  // namespace cajal::testing

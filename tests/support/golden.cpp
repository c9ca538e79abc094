#include "support/golden.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace cajal::testing {

namespace {
Dtype parse_dtype(const std::string& s) {
  if (s == "float32") return Dtype::float32;
  if (s == "float64") return Dtype::float64;
  if (s == "int64") return Dtype::int64;
  if (s == "bool") return Dtype::bool_;
  if (s == "uint8") return Dtype::uint8;
  throw ValueError("golden: unknown dtype " + s);
}

Tensor parse_tensor(const nlohmann::json& j) {
  Shape shape = j.at("shape").get<Shape>();
  Dtype dtype = parse_dtype(j.at("dtype").get<std::string>());
  Tensor t = empty(shape, dtype);
  const auto& data = j.at("data");
  if (static_cast<int64_t>(data.size()) != t.numel())
    throw ValueError("golden: data size mismatch");
  dispatch(dtype, [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (size_t i = 0; i < data.size(); ++i) {
      const auto& v = data[i];
      if (v.is_string()) {  // non-finite values are written as strings
        std::string s = v.get<std::string>();
        double d = s == "nan" ? NAN : s == "inf" ? INFINITY : -INFINITY;
        p[i] = static_cast<T>(d);
      } else if (v.is_boolean()) {
        p[i] = static_cast<T>(v.get<bool>());
      } else {
        p[i] = static_cast<T>(v.get<double>());
      }
    }
  });
  return t;
}
}  // namespace

double GoldenCase::param(const std::string& key) const {
  return nlohmann::json::parse(params_json.at(key)).get<double>();
}
std::vector<int64_t> GoldenCase::int_list(const std::string& key) const {
  return nlohmann::json::parse(params_json.at(key)).get<std::vector<int64_t>>();
}
std::string GoldenCase::text(const std::string& key) const {
  return nlohmann::json::parse(params_json.at(key)).get<std::string>();
}

std::map<std::string, GoldenCase> load_golden(const std::string& family) {
  std::string path = std::string(CAJAL_GOLDEN_DIR) + "/" + family + ".json";
  std::ifstream in(path);
  if (!in) throw IOError("golden: cannot open " + path);
  nlohmann::json root = nlohmann::json::parse(in);
  std::map<std::string, GoldenCase> cases;
  for (const auto& j : root.at("cases")) {
    GoldenCase c;
    c.name = j.at("name").get<std::string>();
    for (const auto& t : j.at("inputs")) c.inputs.push_back(parse_tensor(t));
    c.requires_grad = j.at("requires_grad").get<std::vector<bool>>();
    for (const auto& t : j.at("outputs")) c.outputs.push_back(parse_tensor(t));
    for (const auto& t : j.at("grad_outputs")) c.grad_outputs.push_back(parse_tensor(t));
    for (const auto& g : j.at("grads")) {
      c.grads.push_back(g.is_null() ? std::nullopt : std::optional<Tensor>(parse_tensor(g)));
    }
    if (j.contains("params")) {
      for (const auto& [key, value] : j.at("params").items()) c.params_json[key] = value.dump();
    }
    cases.emplace(c.name, std::move(c));
  }
  return cases;
}

::testing::AssertionResult tensors_close(const Tensor& actual, const Tensor& expected, double rtol,
                                         double atol) {
  if (!actual.defined()) return ::testing::AssertionFailure() << "tensor is undefined";
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << "shape " << shape_string(actual.shape())
                                         << " != expected " << shape_string(expected.shape());
  }
  std::vector<double> a = to_vector<double>(actual), e = to_vector<double>(expected);
  double worst = -1;
  size_t at = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(e[i]) && std::isnan(a[i])) continue;
    if (a[i] == e[i]) continue;
    double excess = std::abs(a[i] - e[i]) - (atol + rtol * std::abs(e[i]));
    if (std::isnan(excess)) excess = INFINITY;
    if (excess > worst) {
      worst = excess;
      at = i;
    }
  }
  if (worst > 0) {
    return ::testing::AssertionFailure() << "element " << at << ": " << a[at] << " vs expected "
                                         << e[at] << " (rtol " << rtol << ", atol " << atol << ")";
  }
  return ::testing::AssertionSuccess();
}

void check_golden(const GoldenCase& c, const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                  double rtol, double atol) {
  SCOPED_TRACE("golden case " + c.name);
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    Tensor x = c.inputs[i].clone();
    if (c.requires_grad[i]) x.requires_grad_(true);
    inputs.push_back(x);
  }
  Tensor y = fn(inputs);
  ASSERT_FALSE(c.outputs.empty());
  EXPECT_TRUE(tensors_close(y, c.outputs[0], rtol, atol)) << "output";
  bool any_grad = false;
  for (const auto& g : c.grads) any_grad = any_grad || g.has_value();
  if (!any_grad) return;
  y.backward(c.grad_outputs.at(0));
  for (size_t i = 0; i < c.grads.size(); ++i) {
    if (!c.grads[i]) continue;
    EXPECT_TRUE(tensors_close(inputs[i].grad(), *c.grads[i], rtol, atol))
        << "gradient of input " << i;
  }
}

}  // namespace cajal::testing

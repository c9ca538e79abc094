// Activation layers of a spec ({"type": "relu"}, or a dense/convolution layer's "activation"):
// their options, named as the nn::*Options fields, and the module each builds.
#include "cajal/nn/activation.h"

#include "cajal/nn/container.h"
#include "spec_internal.h"

namespace cajal::train::detail {

const std::vector<std::string>& activation_types() {
  static const std::vector<std::string> names{
      "relu", "relu6",    "leaky_relu",  "prelu",     "elu",         "selu",
      "celu", "gelu",     "softplus",    "softsign",  "silu",        "swish",
      "mish", "hardtanh", "hardsigmoid", "hardswish", "log_sigmoid", "sigmoid",
      "tanh", "softmax",  "log_softmax", "softmin",   "identity"};
  return names;
}

ActivationBuilder read_activation(SpecReader& reader, const std::string& type) {
  const std::string& pointer = reader.pointer();
  ActivationBuilder make;
  if (type == "relu") {
    make = [](const Shape&, int64_t&) { return std::make_shared<nn::ReLU>(); };
  } else if (type == "relu6") {
    make = [](const Shape&, int64_t&) { return std::make_shared<nn::ReLU6>(); };
  } else if (type == "leaky_relu") {
    double slope = reader.number("negative_slope", 0.01);
    make = [=](const Shape&, int64_t&) {
      return std::make_shared<nn::LeakyReLU>(nn::LeakyReLUOptions{slope});
    };
  } else if (type == "prelu") {
    // "num_parameters": 1 (one shared slope) or "channels" (one per channel, dim 1).
    bool per_channel = false;
    if (const Json* value = reader.optional_value("num_parameters"); value && value->is_string()) {
      per_channel = reader.choice("num_parameters", {"channels"}) == "channels";
    } else if (value && !(value->is_number() && value->get<double>() == 1)) {
      reader.fail("num_parameters", "expected 1 or \"channels\", got " + describe_json(*value));
    }
    double init = reader.number("init", 0.25);
    make = [=](const Shape& shape, int64_t& parameters) {
      int64_t count = 1;
      if (per_channel) {
        if (shape.empty()) {
          throw SpecError(pointer +
                          ": prelu with one slope per channel needs inputs with channels, got " +
                          batch_shape_string(shape));
        }
        count = shape[0];
      }
      parameters = count;
      return std::make_shared<nn::PReLU>(nn::PReLUOptions{.num_parameters = count, .init = init});
    };
  } else if (type == "elu") {
    double alpha = reader.number("alpha", 1.0);
    make = [=](const Shape&, int64_t&) { return std::make_shared<nn::ELU>(nn::ELUOptions{alpha}); };
  } else if (type == "selu") {
    make = [](const Shape&, int64_t&) { return std::make_shared<nn::SELU>(); };
  } else if (type == "celu") {
    double alpha = reader.number("alpha", 1.0);
    if (alpha == 0) reader.fail("alpha", "expected a non-zero number, got 0");
    make = [=](const Shape&, int64_t&) {
      return std::make_shared<nn::CELU>(nn::CELUOptions{alpha});
    };
  } else if (type == "gelu") {
    std::string approximate = reader.choice("approximate", {"none", "tanh"}, "none");
    make = [=](const Shape&, int64_t&) {
      return std::make_shared<nn::GELU>(nn::GELUOptions{approximate});
    };
  } else if (type == "softplus") {
    double beta = reader.number("beta", 1.0);
    if (beta == 0) reader.fail("beta", "expected a non-zero number, got 0");
    double threshold = reader.number("threshold", 20.0);
    make = [=](const Shape&, int64_t&) {
      return std::make_shared<nn::Softplus>(nn::SoftplusOptions{beta, threshold});
    };
  } else if (type == "softsign") {
    make = [](const Shape&, int64_t&) { return std::make_shared<nn::Softsign>(); };
  } else if (type == "silu" || type == "swish") {
    make = [](const Shape&, int64_t&) { return std::make_shared<nn::SiLU>(); };
  } else if (type == "mish") {
    make = [](const Shape&, int64_t&) { return std::make_shared<nn::Mish>(); };
  } else if (type == "hardtanh") {
    double min_val = reader.number("min_val", -1.0);
    double max_val = reader.number("max_val", 1.0);
    if (max_val <= min_val) {
      reader.fail("max_val", "expected a number greater than min_val " +
                                 describe_json(Json(min_val)) + ", got " +
                                 describe_json(Json(max_val)));
    }
    make = [=](const Shape&, int64_t&) {
      return std::make_shared<nn::Hardtanh>(nn::HardtanhOptions{min_val, max_val});
    };
  } else if (type == "hardsigmoid") {
    make = [](const Shape&, int64_t&) { return std::make_shared<nn::Hardsigmoid>(); };
  } else if (type == "hardswish") {
    make = [](const Shape&, int64_t&) { return std::make_shared<nn::Hardswish>(); };
  } else if (type == "log_sigmoid") {
    make = [](const Shape&, int64_t&) { return std::make_shared<nn::LogSigmoid>(); };
  } else if (type == "sigmoid") {
    make = [](const Shape&, int64_t&) { return std::make_shared<nn::Sigmoid>(); };
  } else if (type == "tanh") {
    make = [](const Shape&, int64_t&) { return std::make_shared<nn::Tanh>(); };
  } else if (type == "identity") {
    make = [](const Shape&, int64_t&) { return std::make_shared<nn::Identity>(); };
  } else {  // softmax, log_softmax, softmin
    int64_t dim = reader.integer("dim", -1, std::nullopt);
    make = [=](const Shape& shape, int64_t&) -> std::shared_ptr<nn::Module> {
      // dim counts the batch dim, as in PyTorch: -1 (the default) is the last one.
      const int64_t rank = static_cast<int64_t>(shape.size()) + 1;
      if (dim < -rank || dim >= rank) {
        throw SpecError(pointer + "/dim: " + "expected a dim in [" + std::to_string(-rank) + ", " +
                        std::to_string(rank - 1) + "] for inputs " + batch_shape_string(shape) +
                        ", got " + std::to_string(dim));
      }
      nn::SoftmaxOptions options{dim};
      if (type == "softmax") return std::make_shared<nn::Softmax>(options);
      if (type == "log_softmax") return std::make_shared<nn::LogSoftmax>(options);
      return std::make_shared<nn::Softmin>(options);
    };
  }
  return make;
}

}  // namespace cajal::train::detail

// The "model" section of a spec: layer objects -> nn::Sequential, with input sizes inferred.
//
// Shapes are tracked symbolically (one example's shape, no batch dim) with the same formulas the
// layers use, so that a layer that does not fit its input is reported with the layer's pointer
// before anything is allocated, and a model too large to build is refused instead of running out
// of memory.
#include <algorithm>
#include <functional>
#include <map>

#include "cajal/nn/convolution.h"
#include "cajal/nn/dropout.h"
#include "cajal/nn/embedding.h"
#include "cajal/nn/flatten.h"
#include "cajal/nn/init.h"
#include "cajal/nn/linear.h"
#include "cajal/nn/maxout.h"
#include "cajal/nn/normalization.h"
#include "cajal/nn/pooling.h"
#include "spec_internal.h"

namespace cajal::train::detail {

namespace {

// Keeps a spec from describing activations larger than any machine holds (the parameter limit is
// build_model's argument): building fails with a SpecError instead of a failed allocation later.
constexpr int64_t kMaxElements = int64_t{1} << 31;  // per example, of any layer's output

const std::vector<std::string>& layer_types() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out{"dense",
                                 "conv1d",
                                 "conv2d",
                                 "max_pool1d",
                                 "max_pool2d",
                                 "avg_pool1d",
                                 "avg_pool2d",
                                 "global_avg_pool2d",
                                 "adaptive_avg_pool2d",
                                 "flatten",
                                 "dropout",
                                 "alpha_dropout",
                                 "batch_norm",
                                 "layer_norm",
                                 "embedding",
                                 "maxout",
                                 "residual"};
    for (const std::string& name : sequence_layer_types()) out.push_back(name);
    for (const std::string& name : activation_types()) out.push_back(name);
    return out;
  }();
  return names;
}

bool is_sequence_layer(const std::string& type) {
  const auto& names = sequence_layer_types();
  return std::find(names.begin(), names.end(), type) != names.end();
}

bool is_activation(const std::string& type) {
  const auto& names = activation_types();
  return std::find(names.begin(), names.end(), type) != names.end();
}

template <size_t N>
SizeArg<N> size_arg(const std::vector<int64_t>& sizes) {
  SizeArg<N> out(int64_t{0});
  for (size_t i = 0; i < N; ++i) out.values[i] = sizes[i];
  return out;
}

// The running state of a build: the shape after the layers so far and the parameter count.
struct Tracker {
  Shape shape;  // one example's shape
  int64_t parameters = 0;
  int64_t max_parameters = kMaxModelParameters;

  void add_parameters(const std::string& pointer, int64_t count) {
    parameters = saturating_add(parameters, count);
    if (parameters > max_parameters) {
      fail_layer(pointer, "the model would have more than " + std::to_string(max_parameters) +
                              " parameters; reduce the layer sizes");
    }
  }
  void set_shape(const std::string& pointer, Shape next) {
    if (saturating_product(next) > kMaxElements) {
      fail_layer(pointer, "the output " + batch_shape_string(next) + " has more than " +
                              std::to_string(kMaxElements) + " elements per example");
    }
    shape = std::move(next);
  }
};

// Spatial output size of a convolution or pooling window along one dim.
int64_t window_output(const std::string& pointer, const std::string& type, int64_t in,
                      int64_t kernel, int64_t stride, int64_t padding, int64_t dilation,
                      bool ceil_mode) {
  const int64_t span = saturating_add(saturating_multiply(dilation, kernel - 1), 1);
  const int64_t padded = saturating_add(in, saturating_multiply(2, padding));
  if (padded < span) {
    std::string what = dilation > 1 ? "the dilated kernel " + std::to_string(span)
                                    : "kernel " + std::to_string(kernel);
    fail_layer(pointer,
               type + ": " + what + " is larger than the padded input " + std::to_string(padded));
  }
  int64_t out = (padded - span) / stride + 1;
  if (ceil_mode && (padded - span) % stride != 0) {
    ++out;
    // PyTorch: the last window must start inside the input or its left padding.
    if ((out - 1) * stride >= in + padding) --out;
  }
  return out;
}

// Reads "padding": a size, `count` sizes, "valid" or "same". Returns sizes; `same` set for "same".
std::vector<int64_t> read_padding(SpecReader& reader, size_t count, bool& same) {
  same = false;
  const Json* value = reader.optional_value("padding");
  if (value && value->is_string()) {
    std::string mode = reader.choice("padding", {"valid", "same"});
    same = mode == "same";
    return std::vector<int64_t>(count, 0);
  }
  return reader.sizes("padding", count, std::vector<int64_t>(count, 0), 0);
}

std::string rank_hint(const Shape& shape, size_t wanted) {
  if (shape.size() > wanted && wanted == 1) return "; add {\"type\": \"flatten\"} before it";
  return "";
}

class LayerBuilder {
 public:
  // tracker null: validate the options only.
  explicit LayerBuilder(Tracker* tracker) : tracker_(tracker) {}

  // Appends the layer's modules (a layer with an "activation" gives two) to `out`.
  void layer(const Json& json, const std::string& pointer,
             std::vector<std::shared_ptr<nn::Module>>& out);
  void layers(const Json& json, const std::string& pointer,
              std::vector<std::shared_ptr<nn::Module>>& out);

 private:
  bool building() const { return tracker_ != nullptr; }
  const Shape& shape() const { return tracker_->shape; }

  void require_rank(const std::string& pointer, const std::string& type, size_t rank,
                    const std::string& form) {
    if (shape().size() != rank) {
      fail_layer(pointer, type + " needs " + form + ", got " + batch_shape_string(shape()) +
                              rank_hint(shape(), rank));
    }
  }

  std::shared_ptr<nn::Module> activation(SpecReader& reader, const std::string& type);
  void attached_activation(SpecReader& reader, std::vector<std::shared_ptr<nn::Module>>& out);
  void initialize(const std::string& init, const Tensor& weight, const Tensor& bias);

  Tracker* tracker_;
};

const std::vector<std::string>& init_choices() {
  static const std::vector<std::string> names{"default",         "xavier_uniform", "xavier_normal",
                                              "kaiming_uniform", "kaiming_normal", "lecun_uniform",
                                              "lecun_normal",    "orthogonal"};
  return names;
}

void LayerBuilder::initialize(const std::string& init, const Tensor& weight, const Tensor& bias) {
  if (init == "default") return;
  namespace init_ns = nn::init;
  if (init == "xavier_uniform") init_ns::xavier_uniform_(weight);
  if (init == "xavier_normal") init_ns::xavier_normal_(weight);
  if (init == "kaiming_uniform") init_ns::kaiming_uniform_(weight, {.nonlinearity = "relu"});
  if (init == "kaiming_normal") init_ns::kaiming_normal_(weight, {.nonlinearity = "relu"});
  if (init == "lecun_uniform") init_ns::lecun_uniform_(weight);
  if (init == "lecun_normal") init_ns::lecun_normal_(weight);
  if (init == "orthogonal") init_ns::orthogonal_(weight);
  // Keras' convention: with an explicit initializer the bias starts at zero.
  if (bias.defined()) init_ns::zeros_(bias);
}

std::shared_ptr<nn::Module> LayerBuilder::activation(SpecReader& reader, const std::string& type) {
  ActivationBuilder make = read_activation(reader, type);
  reader.finish();
  if (!building()) return nullptr;
  int64_t parameters = 0;
  std::shared_ptr<nn::Module> module = make(shape(), parameters);
  tracker_->add_parameters(reader.pointer(), parameters);
  return module;
}

// The "activation" option of dense and convolution layers: a name or a layer object.
void LayerBuilder::attached_activation(SpecReader& reader,
                                       std::vector<std::shared_ptr<nn::Module>>& out) {
  const Json* value = reader.optional_value("activation");
  if (!value) return;
  const std::string pointer = reader.child_pointer("activation");
  Json object = value->is_string() ? Json{{"type", *value}} : *value;
  if (!value->is_string() && !value->is_object()) {
    reader.fail("activation",
                "expected an activation name or object, got " + describe_json(*value));
  }
  SpecReader inner(object, pointer);
  std::string type;
  if (value->is_string()) {
    // A bare name: its error points at the "activation" key itself.
    const auto& names = activation_types();
    type = value->get<std::string>();
    if (std::find(names.begin(), names.end(), type) == names.end()) {
      reader.choice("activation", names);
    }
    inner.allow("type");
  } else {
    type = inner.choice("type", activation_types());
  }
  if (auto module = activation(inner, type)) out.push_back(module);
}

void LayerBuilder::layers(const Json& json, const std::string& pointer,
                          std::vector<std::shared_ptr<nn::Module>>& out) {
  if (!json.is_array()) {
    fail_layer(pointer, "expected an array of layer objects, got " + describe_json(json));
  }
  if (json.empty()) fail_layer(pointer, "expected at least one layer, got an empty array");
  for (size_t i = 0; i < json.size(); ++i) {
    layer(json[i], pointer + "/" + std::to_string(i), out);
  }
}

void LayerBuilder::layer(const Json& json, const std::string& pointer,
                         std::vector<std::shared_ptr<nn::Module>>& out) {
  SpecReader reader(json, pointer);
  const std::string type = reader.choice("type", layer_types());

  if (is_activation(type)) {
    std::shared_ptr<nn::Module> module;
    try {
      module = activation(reader, type);
    } catch (const SpecError&) {
      throw;
    } catch (const Error& error) {
      fail_layer(pointer, error.what());
    }
    if (module) out.push_back(module);
    return;
  }

  // Each branch reads its options, then (when building) checks the input shape, counts the
  // parameters, builds the module and moves the shape on.
  std::function<void()> build;
  std::string init = "default";

  if (type == "dense") {
    int64_t units = reader.positive_integer("units");
    bool bias = reader.boolean("bias", true);
    init = reader.choice("init", init_choices(), "default");
    build = [=, this, &out] {
      if (shape().size() != 1 && shape().size() != 2) {
        fail_layer(pointer, "dense needs a flat input [N, F], got " + batch_shape_string(shape()) +
                                rank_hint(shape(), 1));
      }
      const int64_t in = shape().back();
      tracker_->add_parameters(pointer,
                               saturating_add(saturating_multiply(in, units), bias ? units : 0));
      auto module = std::make_shared<nn::Linear>(
          nn::LinearOptions{.in_features = in, .out_features = units, .bias = bias});
      initialize(init, module->weight, module->bias);
      Shape next = shape();
      next.back() = units;
      tracker_->set_shape(pointer, next);
      out.push_back(module);
    };
  } else if (type == "conv1d" || type == "conv2d") {
    const size_t dims = type == "conv2d" ? 2 : 1;
    int64_t filters = reader.positive_integer("filters");
    std::vector<int64_t> kernel = reader.sizes("kernel", dims, {});
    if (kernel.empty()) reader.fail("kernel", "missing (expected a positive integer)");
    std::vector<int64_t> stride = reader.sizes("stride", dims, std::vector<int64_t>(dims, 1));
    bool same = false;
    std::vector<int64_t> padding = read_padding(reader, dims, same);
    std::vector<int64_t> dilation = reader.sizes("dilation", dims, std::vector<int64_t>(dims, 1));
    int64_t groups = reader.positive_integer("groups", 1);
    bool bias = reader.boolean("bias", true);
    std::string padding_mode =
        reader.choice("padding_mode", {"zeros", "reflect", "replicate", "circular"}, "zeros");
    init = reader.choice("init", init_choices(), "default");
    if (same && std::any_of(stride.begin(), stride.end(), [](int64_t s) { return s != 1; })) {
      reader.fail("padding", "\"same\" needs stride 1");
    }
    if (filters % groups != 0) {
      reader.fail("groups", "filters " + std::to_string(filters) + " is not divisible by groups " +
                                std::to_string(groups));
    }
    build = [=, this, &out] {
      require_rank(pointer, type, dims + 1,
                   dims == 2 ? "image inputs [N, C, H, W]" : "sequence inputs [N, C, L]");
      const int64_t channels = shape()[0];
      if (channels % groups != 0) {
        fail_layer(pointer + "/groups", "input channels " + std::to_string(channels) +
                                            " are not divisible by groups " +
                                            std::to_string(groups));
      }
      Shape next{filters};
      for (size_t d = 0; d < dims; ++d) {
        if (same) {
          next.push_back(shape()[d + 1]);
        } else {
          next.push_back(window_output(pointer, type, shape()[d + 1], kernel[d], stride[d],
                                       padding[d], dilation[d], false));
        }
      }
      int64_t weights = saturating_multiply(filters, channels / groups);
      for (int64_t k : kernel) weights = saturating_multiply(weights, k);
      tracker_->add_parameters(pointer, saturating_add(weights, bias ? filters : 0));
      tracker_->set_shape(pointer, next);
      if (dims == 2) {
        nn::Conv2dOptions options{.in_channels = channels,
                                  .out_channels = filters,
                                  .kernel_size = size_arg<2>(kernel),
                                  .stride = size_arg<2>(stride),
                                  .dilation = size_arg<2>(dilation),
                                  .groups = groups,
                                  .bias = bias,
                                  .padding_mode = padding_mode};
        if (same) {
          options.padding = PaddingArg<2>("same");
        } else {
          options.padding.sizes = size_arg<2>(padding);
        }
        auto module = std::make_shared<nn::Conv2d>(options);
        initialize(init, module->weight, module->bias);
        out.push_back(module);
      } else {
        nn::Conv1dOptions options{.in_channels = channels,
                                  .out_channels = filters,
                                  .kernel_size = size_arg<1>(kernel),
                                  .stride = size_arg<1>(stride),
                                  .dilation = size_arg<1>(dilation),
                                  .groups = groups,
                                  .bias = bias,
                                  .padding_mode = padding_mode};
        if (same) {
          options.padding = PaddingArg<1>("same");
        } else {
          options.padding.sizes = size_arg<1>(padding);
        }
        auto module = std::make_shared<nn::Conv1d>(options);
        initialize(init, module->weight, module->bias);
        out.push_back(module);
      }
    };
  } else if (type == "max_pool1d" || type == "max_pool2d" || type == "avg_pool1d" ||
             type == "avg_pool2d") {
    const size_t dims = type.back() == 'd' && type[type.size() - 2] == '2' ? 2 : 1;
    const bool is_max = type.rfind("max", 0) == 0;
    std::vector<int64_t> kernel = reader.sizes("kernel", dims, {});
    if (kernel.empty()) reader.fail("kernel", "missing (expected a positive integer)");
    std::vector<int64_t> stride = reader.sizes("stride", dims, kernel);
    std::vector<int64_t> padding = reader.sizes("padding", dims, std::vector<int64_t>(dims, 0), 0);
    bool ceil_mode = reader.boolean("ceil_mode", false);
    bool count_include_pad = is_max ? true : reader.boolean("count_include_pad", true);
    for (size_t d = 0; d < dims; ++d) {
      if (padding[d] > kernel[d] / 2) {
        reader.fail("padding", "expected at most half the kernel (" +
                                   std::to_string(kernel[d] / 2) + "), got " +
                                   std::to_string(padding[d]));
      }
    }
    build = [=, this, &out] {
      require_rank(pointer, type, dims + 1,
                   dims == 2 ? "image inputs [N, C, H, W]" : "sequence inputs [N, C, L]");
      Shape next{shape()[0]};
      for (size_t d = 0; d < dims; ++d) {
        next.push_back(window_output(pointer, type, shape()[d + 1], kernel[d], stride[d],
                                     padding[d], 1, ceil_mode));
      }
      tracker_->set_shape(pointer, next);
      if (dims == 2 && is_max) {
        out.push_back(std::make_shared<nn::MaxPool2d>(nn::MaxPool2dOptions{
            size_arg<2>(kernel), size_arg<2>(stride), size_arg<2>(padding), ceil_mode}));
      } else if (dims == 2) {
        out.push_back(std::make_shared<nn::AvgPool2d>(
            nn::AvgPool2dOptions{size_arg<2>(kernel), size_arg<2>(stride), size_arg<2>(padding),
                                 ceil_mode, count_include_pad}));
      } else if (is_max) {
        out.push_back(std::make_shared<nn::MaxPool1d>(nn::MaxPool1dOptions{
            size_arg<1>(kernel), size_arg<1>(stride), size_arg<1>(padding), ceil_mode}));
      } else {
        out.push_back(std::make_shared<nn::AvgPool1d>(
            nn::AvgPool1dOptions{size_arg<1>(kernel), size_arg<1>(stride), size_arg<1>(padding),
                                 ceil_mode, count_include_pad}));
      }
    };
  } else if (type == "global_avg_pool2d" || type == "adaptive_avg_pool2d") {
    const bool global = type == "global_avg_pool2d";
    std::vector<int64_t> size =
        global ? std::vector<int64_t>{1, 1} : reader.sizes("output_size", 2, {});
    if (size.empty()) reader.fail("output_size", "missing (expected a positive integer)");
    build = [=, this, &out] {
      require_rank(pointer, type, 3, "image inputs [N, C, H, W]");
      auto pool =
          std::make_shared<nn::AdaptiveAvgPool2d>(nn::AdaptiveAvgPool2dOptions{size_arg<2>(size)});
      if (global) {
        // [N, C, H, W] -> [N, C]: Keras' GlobalAveragePooling2D.
        tracker_->set_shape(pointer, Shape{shape()[0]});
        out.push_back(std::make_shared<nn::Sequential>(
            std::vector<std::shared_ptr<nn::Module>>{pool, std::make_shared<nn::Flatten>()}));
      } else {
        tracker_->set_shape(pointer, Shape{shape()[0], size[0], size[1]});
        out.push_back(pool);
      }
    };
  } else if (type == "flatten") {
    build = [=, this, &out] {
      if (shape().empty()) fail_layer(pointer, "flatten needs inputs with at least one dim");
      tracker_->set_shape(pointer, Shape{saturating_product(shape())});
      out.push_back(std::make_shared<nn::Flatten>());
    };
  } else if (type == "dropout" || type == "alpha_dropout") {
    double p = reader.number("p", 0.5, {.min = 0, .max = 1});
    build = [=, this, &out] {
      (void)this;
      if (type == "dropout") {
        out.push_back(std::make_shared<nn::Dropout>(nn::DropoutOptions{p}));
      } else {
        out.push_back(std::make_shared<nn::AlphaDropout>(nn::DropoutOptions{p}));
      }
    };
  } else if (type == "batch_norm") {
    double momentum = reader.number("momentum", 0.1, {.min = 0, .max = 1});
    double eps = reader.number("eps", 1e-5, {.min = 0});
    bool affine = reader.boolean("affine", true);
    bool track = reader.boolean("track_running_stats", true);
    build = [=, this, &out] {
      // [N, F] and [N, C, L] take BatchNorm1d, [N, C, H, W] BatchNorm2d, as in PyTorch.
      if (shape().empty() || shape().size() > 3) {
        fail_layer(pointer, "batch_norm needs inputs [N, F], [N, C, L] or [N, C, H, W], got " +
                                batch_shape_string(shape()));
      }
      const int64_t features = shape()[0];
      tracker_->add_parameters(pointer, affine ? 2 * features : 0);
      nn::BatchNormOptions options{.num_features = features,
                                   .eps = eps,
                                   .momentum = momentum,
                                   .affine = affine,
                                   .track_running_stats = track};
      if (shape().size() == 3) {
        out.push_back(std::make_shared<nn::BatchNorm2d>(options));
      } else {
        out.push_back(std::make_shared<nn::BatchNorm1d>(options));
      }
    };
  } else if (type == "layer_norm") {
    int64_t normalized_dims = reader.positive_integer("normalized_dims", 1);
    double eps = reader.number("eps", 1e-5, {.min = 0});
    bool affine = reader.boolean("elementwise_affine", true);
    build = [=, this, &out] {
      if (static_cast<int64_t>(shape().size()) < normalized_dims) {
        fail_layer(pointer + "/normalized_dims",
                   "expected at most the " + std::to_string(shape().size()) +
                       " dims of one example " + batch_shape_string(shape()) + ", got " +
                       std::to_string(normalized_dims));
      }
      Shape normalized(shape().end() - normalized_dims, shape().end());
      tracker_->add_parameters(pointer,
                               affine ? saturating_multiply(2, saturating_product(normalized)) : 0);
      out.push_back(std::make_shared<nn::LayerNorm>(nn::LayerNormOptions{
          .normalized_shape = normalized, .eps = eps, .elementwise_affine = affine}));
    };
  } else if (type == "embedding") {
    int64_t num = reader.positive_integer("num_embeddings");
    int64_t dim = reader.positive_integer("embedding_dim");
    std::optional<int64_t> padding_idx = reader.optional_integer("padding_idx");
    if (padding_idx && (*padding_idx < -num || *padding_idx >= num)) {
      reader.fail("padding_idx", "expected an integer in [" + std::to_string(-num) + ", " +
                                     std::to_string(num - 1) + "], got " +
                                     std::to_string(*padding_idx));
    }
    std::optional<double> max_norm =
        reader.optional_number("max_norm", {.min = 0, .min_exclusive = true});
    double norm_type = reader.number("norm_type", 2.0, {.min = 0, .min_exclusive = true});
    build = [=, this, &out] {
      tracker_->add_parameters(pointer, saturating_multiply(num, dim));
      Shape next = shape();
      next.push_back(dim);
      tracker_->set_shape(pointer, next);
      out.push_back(std::make_shared<nn::Embedding>(nn::EmbeddingOptions{.num_embeddings = num,
                                                                         .embedding_dim = dim,
                                                                         .padding_idx = padding_idx,
                                                                         .max_norm = max_norm,
                                                                         .norm_type = norm_type}));
    };
  } else if (type == "maxout") {
    int64_t units = reader.positive_integer("units");
    int64_t pieces = reader.positive_integer("pieces");
    bool bias = reader.boolean("bias", true);
    build = [=, this, &out] {
      if (shape().size() != 1) {
        fail_layer(pointer, "maxout needs a flat input [N, F], got " + batch_shape_string(shape()) +
                                rank_hint(shape(), 1));
      }
      const int64_t in = shape()[0];
      const int64_t outputs = saturating_multiply(units, pieces);
      tracker_->add_parameters(
          pointer, saturating_add(saturating_multiply(in, outputs), bias ? outputs : 0));
      tracker_->set_shape(pointer, Shape{units});
      out.push_back(std::make_shared<nn::Maxout>(nn::MaxoutOptions{
          .in_features = in, .out_features = units, .pieces = pieces, .bias = bias}));
    };
  } else if (is_sequence_layer(type)) {
    SequenceLayer made = read_sequence_layer(reader, type);
    build = [=, this, &out] {
      int64_t parameters = 0;
      Shape next = made.plan(shape(), parameters);
      tracker_->add_parameters(pointer, parameters);
      std::shared_ptr<nn::Module> module = made.build(shape());
      tracker_->set_shape(pointer, next);
      out.push_back(module);
    };
  } else {  // residual
    const Json& inner = reader.value("layers");
    bool projection = reader.boolean("projection", false);
    reader.finish();
    const std::string inner_pointer = pointer + "/layers";
    if (!building()) {
      layers(inner, inner_pointer, out);
      return;
    }
    const Shape input = shape();
    std::vector<std::shared_ptr<nn::Module>> main;
    layers(inner, inner_pointer, main);
    const Shape output = shape();
    auto body = std::make_shared<nn::Sequential>(main);
    if (!projection) {
      if (input != output) {
        fail_layer(pointer, "residual block changes the shape from " + batch_shape_string(input) +
                                " to " + batch_shape_string(output) +
                                "; set \"projection\": true to project the shortcut");
      }
      out.push_back(std::make_shared<nn::Residual>(body));
      return;
    }
    // The shortcut maps the input to the output's shape: a 1x1 convolution (strided to the
    // output's size, without bias, as in ResNet) for [C, ...] inputs, a Linear for [F].
    std::shared_ptr<nn::Module> shortcut;
    if (input.size() == 1 && output.size() == 1) {
      tracker_->add_parameters(pointer,
                               saturating_add(saturating_multiply(input[0], output[0]), output[0]));
      shortcut = std::make_shared<nn::Linear>(
          nn::LinearOptions{.in_features = input[0], .out_features = output[0]});
    } else if ((input.size() == 2 || input.size() == 3) && output.size() == input.size()) {
      std::vector<int64_t> strides;
      for (size_t d = 1; d < input.size(); ++d) {
        const int64_t in = input[d];
        const int64_t target = output[d];
        const int64_t s = target > 0 ? (in + target - 1) / target : 0;
        if (s < 1 || (in - 1) / s + 1 != target) {
          fail_layer(pointer, "residual block maps " + batch_shape_string(input) + " to " +
                                  batch_shape_string(output) +
                                  ", which no strided 1x1 convolution can project");
        }
        strides.push_back(s);
      }
      tracker_->add_parameters(pointer, saturating_multiply(input[0], output[0]));
      if (input.size() == 3) {
        shortcut = std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in_channels = input[0],
                                                                  .out_channels = output[0],
                                                                  .kernel_size = 1,
                                                                  .stride = size_arg<2>(strides),
                                                                  .bias = false});
      } else {
        shortcut = std::make_shared<nn::Conv1d>(nn::Conv1dOptions{.in_channels = input[0],
                                                                  .out_channels = output[0],
                                                                  .kernel_size = 1,
                                                                  .stride = size_arg<1>(strides),
                                                                  .bias = false});
      }
    } else {
      fail_layer(pointer, "residual block maps " + batch_shape_string(input) + " to " +
                              batch_shape_string(output) + ", which the shortcut cannot project");
    }
    out.push_back(std::make_shared<nn::Residual>(body, shortcut));
    return;
  }

  // Keys read above; the activation option is read last so its errors come after the layer's.
  std::vector<std::shared_ptr<nn::Module>> activation_modules;
  const bool takes_activation = type == "dense" || type == "conv1d" || type == "conv2d";
  if (takes_activation && !building()) attached_activation(reader, activation_modules);
  if (takes_activation && building()) reader.allow("activation");
  reader.finish();
  if (!building()) return;
  try {
    build();
    if (takes_activation) attached_activation(reader, out);
  } catch (const SpecError&) {
    throw;
  } catch (const Error& error) {
    fail_layer(pointer, error.what());
  }
}

}  // namespace

std::string batch_shape_string(const Shape& example_shape) {
  std::string out = "[N";
  for (int64_t size : example_shape) out += ", " + std::to_string(size);
  return out + "]";
}

void validate_model(const Json& model, const std::string& pointer) {
  std::vector<std::shared_ptr<nn::Module>> unused;
  LayerBuilder(nullptr).layers(model, pointer, unused);
}

std::shared_ptr<nn::Sequential> build_layers(const Json& model, const std::string& pointer,
                                             const Shape& input_shape, int64_t max_parameters) {
  for (int64_t size : input_shape) {
    if (size < 1) {
      throw SpecError(pointer + ": the input shape " + shape_string(input_shape) +
                      " has a size below 1");
    }
  }
  Tracker tracker{input_shape, 0, max_parameters};
  std::vector<std::shared_ptr<nn::Module>> modules;
  LayerBuilder(&tracker).layers(model, pointer, modules);
  return std::make_shared<nn::Sequential>(modules);
}

}  // namespace cajal::train::detail

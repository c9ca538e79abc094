// Sequence layers of the "model" section: reshape, recurrent layers (rnn, lstm, gru), positional
// encodings, transformer encoders and pooling over time. An example of a sequence is [T, F]: the
// layers run batch first, as Keras' do.
#include <algorithm>

#include "cajal/nn/attention.h"
#include "cajal/nn/flatten.h"
#include "cajal/nn/positional_encoding.h"
#include "cajal/nn/recurrent.h"
#include "cajal/nn/transformer.h"
#include "cajal/ops/reduction.h"
#include "spec_internal.h"

namespace cajal::train::detail {

namespace {

// Parameters of a layer with weights of these shapes.
int64_t count(std::initializer_list<Shape> shapes) {
  int64_t total = 0;
  for (const Shape& shape : shapes) total = saturating_add(total, saturating_product(shape));
  return total;
}

void require_sequence(const std::string& pointer, const std::string& type, const Shape& shape) {
  if (shape.size() != 2) {
    std::string hint;
    if (shape.size() == 3) hint = "; add {\"type\": \"reshape\", \"shape\": [T, F]} before it";
    if (shape.size() == 1) hint = "; an embedding layer turns token ids [N, T] into [N, T, E]";
    fail_layer(pointer,
               type + " needs sequences [N, T, F], got " + batch_shape_string(shape) + hint);
  }
}

// A recurrent layer whose output is its last layer's final state, both directions side by side:
// Keras' return_sequences = false. [N, T, F] -> [N, D * H].
class FinalState : public nn::Module {
 public:
  FinalState(std::shared_ptr<nn::detail::RecurrentBase> recurrent, int64_t num_layers,
             int64_t directions)
      : Module("FinalState"), num_layers_(num_layers), directions_(directions) {
    recurrent_ = register_module("recurrent", std::move(recurrent));
  }
  Tensor forward(const Tensor& input) override {
    Tensor h_n = recurrent_->forward(input, {}).h_n;
    // h_n: [layers * D, N, H] -> the last layer's [D, N, H] -> [N, D * H]
    Tensor last = h_n.narrow(0, (num_layers_ - 1) * directions_, directions_);
    return last.transpose(0, 1).reshape({input.size(0), -1});
  }

 private:
  std::shared_ptr<nn::detail::RecurrentBase> recurrent_;
  int64_t num_layers_;
  int64_t directions_;
};

// A transformer encoder that applies a causal mask (position t attends to 0..t only).
class CausalEncoder : public nn::Module {
 public:
  explicit CausalEncoder(std::shared_ptr<nn::TransformerEncoder> encoder)
      : Module("CausalEncoder") {
    encoder_ = register_module("encoder", std::move(encoder));
  }
  Tensor forward(const Tensor& input) override {
    return encoder_->forward(input, {.is_causal = true});
  }

 private:
  std::shared_ptr<nn::TransformerEncoder> encoder_;
};

// Mean, max, first or last over the time dim: [N, T, F] -> [N, F].
class SequencePool : public nn::Module {
 public:
  explicit SequencePool(std::string mode) : Module("SequencePool"), mode_(std::move(mode)) {}
  Tensor forward(const Tensor& input) override {
    if (mode_ == "mean") return mean(input, {1});
    if (mode_ == "max") return amax(input, {1});
    if (mode_ == "first") return input.select(1, 0);
    return input.select(1, input.size(1) - 1);
  }
  std::string extra_repr() const override { return "mode=" + mode_; }

 private:
  std::string mode_;
};

SequenceLayer reshape_layer(SpecReader& reader) {
  const std::string pointer = reader.pointer();
  const Json& value = reader.value("shape");
  const std::string shape_pointer = reader.child_pointer("shape");
  if (!value.is_array() || value.empty()) {
    fail_layer(shape_pointer, "expected a non-empty array of sizes, got " + describe_json(value));
  }
  Shape target;
  int inferred = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const Json& size = value[i];
    if (!size.is_number_integer() || (size.get<int64_t>() < 1 && size.get<int64_t>() != -1)) {
      fail_layer(shape_pointer + "/" + std::to_string(i),
                 "expected a positive integer or -1, got " + describe_json(size));
    }
    target.push_back(size.get<int64_t>());
    inferred += target.back() == -1;
  }
  if (inferred > 1) fail_layer(shape_pointer, "at most one size may be -1 (inferred)");
  SequenceLayer layer;
  layer.plan = [=](const Shape& input, int64_t& parameters) {
    parameters = 0;
    const int64_t elements = saturating_product(input);
    int64_t known = 1;
    for (int64_t size : target) known = size == -1 ? known : saturating_multiply(known, size);
    Shape out = target;
    if (inferred == 1) {
      if (elements % known != 0) {
        fail_layer(pointer, "cannot reshape " + batch_shape_string(input) + " (" +
                                std::to_string(elements) + " values per example) into " +
                                batch_shape_string(target));
      }
      std::replace(out.begin(), out.end(), int64_t{-1}, elements / known);
    } else if (known != elements) {
      fail_layer(pointer, "cannot reshape " + batch_shape_string(input) + " (" +
                              std::to_string(elements) + " values per example) into " +
                              batch_shape_string(target) + " (" + std::to_string(known) + ")");
    }
    return out;
  };
  layer.build = [=](const Shape&) -> std::shared_ptr<nn::Module> {
    return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
        std::make_shared<nn::Flatten>(),
        std::make_shared<nn::Unflatten>(nn::UnflattenOptions{.dim = 1, .sizes = target})});
  };
  return layer;
}

SequenceLayer recurrent_layer(SpecReader& reader, const std::string& type) {
  const std::string pointer = reader.pointer();
  const int64_t hidden = reader.positive_integer("hidden_size");
  const int64_t layers = reader.positive_integer("num_layers", 1);
  const bool bidirectional = reader.boolean("bidirectional", false);
  const double dropout = reader.number("dropout", 0.0, {.min = 0, .max = 1});
  const bool bias = reader.boolean("bias", true);
  const bool return_sequences = reader.boolean("return_sequences", false);
  std::string nonlinearity = "tanh";
  if (type == "rnn") nonlinearity = reader.choice("nonlinearity", {"tanh", "relu"}, "tanh");
  const int64_t gates = type == "lstm" ? 4 : type == "gru" ? 3 : 1;
  const int64_t directions = bidirectional ? 2 : 1;

  SequenceLayer layer;
  layer.plan = [=](const Shape& input, int64_t& parameters) {
    require_sequence(pointer, type, input);
    parameters = 0;
    for (int64_t l = 0; l < layers; ++l) {
      const int64_t in = l == 0 ? input[1] : saturating_multiply(directions, hidden);
      const int64_t per_direction =
          count({{gates, hidden, in}, {gates, hidden, hidden}, {bias ? 2 : 0, gates, hidden}});
      parameters = saturating_add(parameters, saturating_multiply(directions, per_direction));
    }
    const int64_t features = saturating_multiply(directions, hidden);
    return return_sequences ? Shape{input[0], features} : Shape{features};
  };
  layer.build = [=](const Shape& input) -> std::shared_ptr<nn::Module> {
    // The three option structs share these fields (RNN adds its nonlinearity).
    auto with_sizes = [&](auto options) {
      options.input_size = input[1];
      options.hidden_size = hidden;
      options.num_layers = layers;
      options.bias = bias;
      options.batch_first = true;
      options.dropout = dropout;
      options.bidirectional = bidirectional;
      return options;
    };
    std::shared_ptr<nn::detail::RecurrentBase> module;
    if (type == "lstm") {
      module = std::make_shared<nn::LSTM>(with_sizes(nn::LSTMOptions{}));
    } else if (type == "gru") {
      module = std::make_shared<nn::GRU>(with_sizes(nn::GRUOptions{}));
    } else {
      nn::RNNOptions options = with_sizes(nn::RNNOptions{});
      options.nonlinearity = nonlinearity;
      module = std::make_shared<nn::RNN>(options);
    }
    if (return_sequences) return module;
    return std::make_shared<FinalState>(module, layers, directions);
  };
  return layer;
}

SequenceLayer positional_layer(SpecReader& reader) {
  const std::string pointer = reader.pointer();
  const std::string kind = reader.choice("kind", {"sinusoidal", "learned"}, "sinusoidal");
  const int64_t max_len = reader.positive_integer("max_len", kind == "learned" ? 512 : 5000);
  const double dropout = reader.number("dropout", 0.0, {.min = 0, .max = 1});
  SequenceLayer layer;
  layer.plan = [=](const Shape& input, int64_t& parameters) {
    require_sequence(pointer, "positional_encoding", input);
    if (input[0] > max_len) {
      fail_layer(pointer, "sequences of " + std::to_string(input[0]) +
                              " steps are longer than max_len " + std::to_string(max_len));
    }
    if (kind == "sinusoidal" && input[1] % 2 != 0) {
      fail_layer(pointer, "sinusoidal positional encoding needs an even feature size, got " +
                              std::to_string(input[1]));
    }
    parameters = kind == "learned" ? count({{max_len, input[1]}}) : 0;
    return input;
  };
  layer.build = [=](const Shape& input) -> std::shared_ptr<nn::Module> {
    nn::PositionalEncodingOptions options{
        .d_model = input[1], .max_len = max_len, .dropout = dropout, .batch_first = true};
    if (kind == "learned") return std::make_shared<nn::LearnedPositionalEncoding>(options);
    return std::make_shared<nn::SinusoidalPositionalEncoding>(options);
  };
  return layer;
}

SequenceLayer transformer_layer(SpecReader& reader) {
  const std::string pointer = reader.pointer();
  const int64_t heads = reader.positive_integer("nhead");
  const int64_t feedforward = reader.positive_integer("dim_feedforward", 2048);
  const int64_t layers = reader.positive_integer("num_layers", 1);
  const double dropout = reader.number("dropout", 0.1, {.min = 0, .max = 1});
  const std::string activation = reader.choice("activation", {"relu", "gelu"}, "relu");
  const bool norm_first = reader.boolean("norm_first", false);
  const bool final_norm = reader.boolean("final_norm", false);
  const bool causal = reader.boolean("causal", false);
  SequenceLayer layer;
  layer.plan = [=](const Shape& input, int64_t& parameters) {
    require_sequence(pointer, "transformer_encoder", input);
    const int64_t d = input[1];
    if (d % heads != 0) {
      fail_layer(pointer + "/nhead", "the feature size " + std::to_string(d) +
                                         " is not divisible by nhead " + std::to_string(heads));
    }
    // Per layer: in-projection 3d^2 + 3d, out-projection d^2 + d, feed-forward 2 d f + f + d,
    // two layer norms 4d.
    const int64_t per_layer = count({{4, d, d}, {8, d}, {2, d, feedforward}, {feedforward}, {d}});
    parameters = saturating_add(saturating_multiply(per_layer, layers), final_norm ? 2 * d : 0);
    return input;
  };
  layer.build = [=](const Shape& input) -> std::shared_ptr<nn::Module> {
    auto encoder = std::make_shared<nn::TransformerEncoder>(
        nn::TransformerEncoderOptions{.layer = {.d_model = input[1],
                                                .nhead = heads,
                                                .dim_feedforward = feedforward,
                                                .dropout = dropout,
                                                .activation = activation,
                                                .batch_first = true,
                                                .norm_first = norm_first},
                                      .num_layers = layers,
                                      .final_norm = final_norm});
    if (causal) return std::make_shared<CausalEncoder>(encoder);
    return encoder;
  };
  return layer;
}

SequenceLayer pool_layer(SpecReader& reader) {
  const std::string pointer = reader.pointer();
  const std::string mode = reader.choice("mode", {"mean", "max", "first", "last"}, "mean");
  SequenceLayer layer;
  layer.plan = [=](const Shape& input, int64_t& parameters) {
    require_sequence(pointer, "sequence_pool", input);
    parameters = 0;
    return Shape{input[1]};
  };
  layer.build = [=](const Shape&) -> std::shared_ptr<nn::Module> {
    return std::make_shared<SequencePool>(mode);
  };
  return layer;
}

}  // namespace

const std::vector<std::string>& sequence_layer_types() {
  static const std::vector<std::string> names{
      "reshape",      "rnn", "lstm", "gru", "positional_encoding", "transformer_encoder",
      "sequence_pool"};
  return names;
}

SequenceLayer read_sequence_layer(SpecReader& reader, const std::string& type) {
  if (type == "reshape") return reshape_layer(reader);
  if (type == "rnn" || type == "lstm" || type == "gru") return recurrent_layer(reader, type);
  if (type == "positional_encoding") return positional_layer(reader);
  if (type == "transformer_encoder") return transformer_layer(reader);
  return pool_layer(reader);
}

}  // namespace cajal::train::detail

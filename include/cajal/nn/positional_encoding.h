#pragma once
// Positional encodings: add to each token embedding a vector that depends on its position, so
// attention (which is blind to order) can use it.
//
//   nn::SinusoidalPositionalEncoding position({.d_model = 64, .batch_first = true});
//   Tensor y = position(embeddings);   // [N, T, 64] -> [N, T, 64], T <= max_len
//
// x: [T, N, d_model] (batch_first = false, PyTorch's sequence-first layout), [N, T, d_model]
// (batch_first = true) or unbatched [T, d_model] -> the same shape. ShapeError when the last dim
// is not d_model or T > max_len.
#include <cstdint>
#include <string>

#include "cajal/nn/module.h"

namespace cajal::nn {

struct PositionalEncodingOptions {
  int64_t d_model = 0;     // required, > 0
  int64_t max_len = 5000;  // longest sequence, > 0
  double dropout = 0.0;    // applied to the sum in training, in [0, 1]
  bool batch_first = false;
  Dtype dtype = Dtype::float32;
};

// Vaswani et al. (2017), section 3.5: PE[t, 2i] = sin(t / 10000^(2i / d_model)),
// PE[t, 2i + 1] = cos(t / 10000^(2i / d_model)). Fixed (no parameters): the table is the
// non-persistent buffer "pe" [max_len, d_model], recomputed on construction and not saved.
// y = dropout(x + PE[:T]).
class SinusoidalPositionalEncoding : public Module {
 public:
  explicit SinusoidalPositionalEncoding(PositionalEncodingOptions options);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  const PositionalEncodingOptions& options() const { return options_; }

  Tensor pe;  // [max_len, d_model]

 private:
  PositionalEncodingOptions options_;
};

// A learned table, as BERT (Devlin et al., 2019) and GPT-2 (Radford et al., 2019): the parameter
// "weight" [max_len, d_model], y = dropout(x + weight[:T]). Initialized N(0, 0.02^2), those
// models' choice: small next to unit-scale embeddings, so positions start as a gentle
// perturbation the training can grow.
class LearnedPositionalEncoding : public Module {
 public:
  explicit LearnedPositionalEncoding(PositionalEncodingOptions options);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  void reset_parameters();  // weight ~ N(0, 0.02^2)
  const PositionalEncodingOptions& options() const { return options_; }

  Tensor weight;  // [max_len, d_model]

 private:
  PositionalEncodingOptions options_;
};

}  // namespace cajal::nn

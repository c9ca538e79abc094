// Positional encodings: the sinusoidal table against the formula of Vaswani et al. (2017)
// written out here, both layouts and unbatched input, gradient checks (input, and the learned
// table), the learned table's initialization, state_dict contents and round trips, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/positional_encoding.h"
#include "layer_test_support.h"
#include "layer_testing.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::expect_error;
using testing::tensors_close;

TEST(SinusoidalPositionalEncoding, TableFollowsThePaper) {
  for (int64_t d : {6, 7}) {  // even and odd widths
    nn::SinusoidalPositionalEncoding position(
        {.d_model = d, .max_len = 50, .dtype = Dtype::float64});
    ASSERT_EQ(position.pe.shape(), (Shape{50, d}));
    for (int64_t t : {0, 1, 17, 49}) {
      for (int64_t j = 0; j < d; ++j) {
        const int64_t pair = j / 2;  // dims 2i and 2i + 1 share the frequency of 2i
        const double angle = t / std::pow(10000.0, 2.0 * pair / d);
        const double expected = j % 2 == 0 ? std::sin(angle) : std::cos(angle);
        EXPECT_NEAR(position.pe.at<double>({t, j}), expected, 1e-12) << "t=" << t << " j=" << j;
      }
    }
  }
}

TEST(SinusoidalPositionalEncoding, AddsToEveryLayout) {
  nn::SinusoidalPositionalEncoding sequence_first({.d_model = 4, .max_len = 10});
  nn::SinusoidalPositionalEncoding batch_first({.d_model = 4, .max_len = 10, .batch_first = true});
  Tensor x = randn({3, 2, 4});  // [T, N, d]
  Tensor y = sequence_first(x);
  for (int64_t n = 0; n < 2; ++n) {
    EXPECT_TRUE(tensors_close(y.select(1, n), x.select(1, n) + sequence_first.pe.narrow(0, 0, 3),
                              1e-6, 1e-7));
  }
  EXPECT_TRUE(equal(batch_first(x.transpose(0, 1)), y.transpose(0, 1)));
  EXPECT_TRUE(equal(sequence_first(x.select(1, 0)), y.select(1, 0)));  // unbatched [T, d]
  // The fixed table is not saved.
  EXPECT_TRUE(sequence_first.state_dict().empty());
  EXPECT_EQ(sequence_first.buffers().size(), 1u);
  EXPECT_TRUE(sequence_first.parameters().empty());
}

TEST(SinusoidalPositionalEncoding, GradcheckAndDropout) {
  nn::SinusoidalPositionalEncoding position({.d_model = 5, .max_len = 8, .dtype = Dtype::float64});
  EXPECT_TRUE(testing::input_gradcheck(position, randn({4, 2, 5}, {.dtype = Dtype::float64})));
  manual_seed(3);
  nn::SinusoidalPositionalEncoding dropped({.d_model = 5, .max_len = 8, .dropout = 0.5});
  Tensor x = randn({4, 2, 5});
  dropped.eval();
  EXPECT_TRUE(equal(dropped(x), x + dropped.pe.narrow(0, 0, 4).unsqueeze(1)));
  dropped.train();
  Tensor y = dropped(x);
  EXPECT_GT(eq(y, zeros_like(y)).to(Dtype::float32).sum().item<double>(), 0.0);
}

TEST(LearnedPositionalEncoding, InitializationForwardAndGradients) {
  manual_seed(4);
  nn::LearnedPositionalEncoding position({.d_model = 64, .max_len = 512});
  ASSERT_EQ(position.weight.shape(), (Shape{512, 64}));
  EXPECT_NEAR(position.weight.mean().item<double>(), 0.0, 0.002);
  EXPECT_NEAR(std(position.weight).item<double>(), 0.02, 0.001);
  EXPECT_EQ(position.state_dict().keys(), (std::vector<std::string>{"weight"}));
  Tensor x = randn({2, 7, 64});
  nn::LearnedPositionalEncoding batch_first({.d_model = 64, .max_len = 512, .batch_first = true});
  batch_first.load_state_dict(testing::snapshot(position.state_dict()));
  Tensor y = batch_first(x);
  EXPECT_TRUE(tensors_close(y[1], x[1] + position.weight.narrow(0, 0, 7), 1e-6, 1e-7));

  nn::LearnedPositionalEncoding small({.d_model = 3, .max_len = 6, .dtype = Dtype::float64});
  Tensor input = randn({4, 2, 3}, {.dtype = Dtype::float64});
  EXPECT_TRUE(testing::input_gradcheck(small, input));
  EXPECT_TRUE(testing::parameter_gradcheck(small, [&] { return small(input); }));
  // Rows past the sequence length get no gradient.
  small.zero_grad();
  small(input).sum().backward();
  EXPECT_EQ(small.weight.grad().narrow(0, 4, 2).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(small.weight.grad().narrow(0, 0, 4).sum().item<double>(), 4 * 2 * 3);
}

TEST(LearnedPositionalEncoding, StateDictRoundTrip) {
  manual_seed(5);
  nn::LearnedPositionalEncoding source({.d_model = 8, .max_len = 16});
  manual_seed(6);
  nn::LearnedPositionalEncoding fresh({.d_model = 8, .max_len = 16});
  testing::expect_round_trip(source, fresh, randn({5, 3, 8}));
  EXPECT_EQ(to_string(source),
            "LearnedPositionalEncoding(d_model=8, max_len=16, dropout=0.0, batch_first=false)");
}

TEST(PositionalEncoding, Errors) {
  expect_error<ValueError>([] { nn::SinusoidalPositionalEncoding({.d_model = 0}); },
                           {"SinusoidalPositionalEncoding", "d_model", "0"});
  expect_error<ValueError>([] { nn::LearnedPositionalEncoding({.d_model = 4, .max_len = -2}); },
                           {"LearnedPositionalEncoding", "max_len", "-2"});
  expect_error<ValueError>([] { nn::LearnedPositionalEncoding({.d_model = 4, .dropout = 1.5}); },
                           {"dropout", "1.5"});
  nn::SinusoidalPositionalEncoding position({.d_model = 4, .max_len = 3, .batch_first = true});
  expect_error<ShapeError>(
      [&] {
        position(randn({2, 4, 4}));
      },
      {"SinusoidalPositionalEncoding", "length 4", "max_len=3"});
  expect_error<ShapeError>([&] { position(randn({2, 3, 5})); }, {"d_model=4", "[2, 3, 5]"});
  expect_error<ShapeError>([&] { position(randn({4})); }, {"[4]"});
}

}  // namespace
}  // namespace cajal

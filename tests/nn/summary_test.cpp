// summary(): the layer table, output shapes and parameter counts against the hand calculation.
#include "cajal/nn/summary.h"

#include <gtest/gtest.h>

#include "cajal/nn/container.h"
#include "cajal/nn/convolution.h"
#include "cajal/nn/flatten.h"
#include "cajal/nn/linear.h"
#include "cajal/nn/pooling.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using testing::expect_error;

// A Keras-course example: ten 5x5 filters over a 32x32x3 image, pooling, then a dense head of 8.
nn::Sequential small_convnet() {
  return nn::Sequential{
      nn::Conv2d({.in_channels = 3, .out_channels = 10, .kernel_size = 5}),  // -> [10, 28, 28]
      nn::MaxPool2d({.kernel_size = 2}),                                     // -> [10, 14, 14]
      nn::Flatten(),                                                         // -> [1960]
      nn::Linear({.in_features = 10 * 14 * 14, .out_features = 48}),         // 1960*48 + 48
      nn::Linear({.in_features = 48, .out_features = 8})};                   // 48*8 + 8
}

TEST(Summary, CountsMatchTheHandCalculation) {
  nn::Sequential net = small_convnet();
  nn::Summary s = nn::summary(net, {1, 3, 32, 32});
  ASSERT_EQ(s.rows.size(), 5u);
  EXPECT_EQ(s.rows[0].name, "0");
  EXPECT_EQ(s.rows[0].type, "Conv2d");
  EXPECT_EQ(s.rows[0].output_shape, (Shape{1, 10, 28, 28}));
  EXPECT_EQ(s.rows[0].parameters, 760);  // (5*5*3 + 1) * 10
  EXPECT_EQ(s.rows[1].output_shape, (Shape{1, 10, 14, 14}));
  EXPECT_EQ(s.rows[1].parameters, 0);
  EXPECT_EQ(s.rows[2].output_shape, (Shape{1, 1960}));
  EXPECT_EQ(s.rows[3].parameters, 1960 * 48 + 48);
  EXPECT_EQ(s.rows[4].parameters, 392);  // 48*8 + 8
  EXPECT_EQ(s.rows[4].output_shape, (Shape{1, 8}));
  EXPECT_EQ(s.total_parameters, 760 + 1960 * 48 + 48 + 392);
  EXPECT_EQ(s.trainable_parameters, s.total_parameters);
  EXPECT_EQ(s.frozen_parameters, 0);
}

TEST(Summary, FrozenLayersCountAsNonTrainable) {
  nn::Sequential net = small_convnet();
  net[0]->requires_grad_(false);
  nn::Summary s = nn::summary(net, {2, 3, 32, 32});
  EXPECT_EQ(s.frozen_parameters, 760);
  EXPECT_EQ(s.trainable_parameters, 1960 * 48 + 48 + 392);
  EXPECT_EQ(s.rows[0].trainable, 0);
  EXPECT_EQ(s.rows[0].output_shape[0], 2);
}

TEST(Summary, TableText) {
  nn::Sequential net{nn::Linear({.in_features = 48, .out_features = 8}),
                     nn::Linear({.in_features = 8, .out_features = 1000})};
  std::string text = nn::summary(net, {4, 48}).to_string();
  EXPECT_EQ(text,
            "Layer (type)   Output shape   Param #\n"
            "=====================================\n"
            "0 (Linear)     [4, 8]             392\n"
            "1 (Linear)     [4, 1000]        9,000\n"
            "=====================================\n"
            "Total params: 9,392\n"
            "Trainable params: 9,392\n"
            "Non-trainable params: 0\n");
}

// Nested containers list their layers by qualified name; the run happens in evaluation mode and
// the modes are restored.
TEST(Summary, NestedModulesAndModesRestored) {
  nn::Sequential block{nn::Linear({.in_features = 4, .out_features = 4}), nn::Flatten()};
  nn::Sequential net{block, nn::Residual(nn::Linear({.in_features = 4, .out_features = 4}))};
  net[1]->eval();
  nn::Summary s = nn::summary(net, {3, 4});
  std::vector<std::string> names;
  for (const auto& row : s.rows) names.push_back(row.name);
  EXPECT_EQ(names, (std::vector<std::string>{"0.0", "0.1", "1.main"}));
  EXPECT_TRUE(net.is_training());
  EXPECT_TRUE(net[0]->is_training());
  EXPECT_FALSE(net[1]->is_training());
  EXPECT_EQ(s.total_parameters, 40);
}

TEST(Summary, BadInputShapes) {
  nn::Sequential net = small_convnet();
  expect_error<ValueError>([&] { nn::summary(net, {1, 3, 0, 32}); }, {"summary", "[1, 3, 0, 32]"});
  // A wrong shape fails inside the network with the layer's own message.
  EXPECT_THROW(nn::summary(net, {1, 4, 32, 32}), Error);
}

}  // namespace
}  // namespace cajal

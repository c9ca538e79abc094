// TensorDataset and the Dataset base.
#include "cajal/data/dataset.h"

#include <gtest/gtest.h>

#include "cajal/core/creation.h"
#include "cajal/ops/arithmetic.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using testing::expect_error;

TEST(TensorDataset, ExamplesAreRowsOfBothTensors) {
  Tensor inputs = arange(0, 12).reshape({4, 3});
  Tensor labels = tensor({3, 1, 2, 0}).to(Dtype::int64);
  data::TensorDataset dataset(inputs, labels);
  EXPECT_EQ(dataset.size(), 4);
  data::Example e = dataset.get(2);
  EXPECT_TRUE(equal(e.input, tensor({6, 7, 8}).to(inputs.dtype())));
  EXPECT_EQ(e.target.item<int64_t>(), 2);
  EXPECT_TRUE(equal(dataset.targets(), labels));
  // Examples are views: no copy of the data.
  EXPECT_EQ(e.input.storage(), inputs.storage());
}

TEST(TensorDataset, Unlabelled) {
  data::TensorDataset dataset(zeros({2, 5}));
  EXPECT_FALSE(dataset.get(1).target.defined());
  EXPECT_FALSE(dataset.targets().defined());
}

TEST(TensorDataset, Errors) {
  expect_error<ShapeError>(
      [] {
        data::TensorDataset(zeros({3, 2}), zeros({4}));
      },
      {"TensorDataset", "[3, 2]", "[4]"});
  expect_error<ShapeError>([] { data::TensorDataset(zeros({})); }, {"first"});
  data::TensorDataset dataset(zeros({3, 2}));
  expect_error<IndexError>([&] { dataset.get(3); }, {"index 3", "3 examples"});
  expect_error<IndexError>([&] { dataset.get(-1); }, {"index -1"});
}

// The base class stacks targets from get() when a dataset does not keep them together.
class Squares : public data::Dataset {
 public:
  int64_t size() const override { return 3; }
  data::Example get(int64_t i) const override {
    data::check_index("Squares", i, size());
    return {full({1}, static_cast<double>(i)), full({}, static_cast<double>(i * i))};
  }
};

TEST(Dataset, DefaultTargetsStackEveryExample) {
  Squares squares;
  EXPECT_TRUE(equal(squares.targets(), tensor({0, 1, 4})));
}

}  // namespace
}  // namespace cajal

#pragma once
// Datasets: indexed collections of examples, each an input tensor and a target tensor.
//
//   data::TensorDataset train(images, labels);   // images [N, 1, 28, 28], labels [N] (int64)
//   data::Example e = train.get(3);              // e.input [1, 28, 28], e.target []
//
// A batch is an Example too, with a leading batch dimension on both tensors.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cajal/core/tensor.h"

namespace cajal::data {

struct Example {
  Tensor input;
  Tensor target;  // undefined for unlabelled data
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  // IndexError naming the index and the size when out of range; negative indices are errors.
  virtual Example get(int64_t index) const = 0;
  // The targets of every example, stacked ([N] class indices or [N, ...] values), or undefined
  // when the dataset has none. Stratified splits and class counts use it without loading inputs.
  virtual Tensor targets() const;
};

// A dataset over two tensors that share their first dimension. Examples are views (no copy).
class TensorDataset : public Dataset {
 public:
  // inputs: [N, ...], targets: [N, ...] or undefined. ShapeError when the first dims differ.
  explicit TensorDataset(Tensor inputs, Tensor targets = Tensor());
  int64_t size() const override;
  Example get(int64_t index) const override;
  Tensor targets() const override { return targets_; }
  const Tensor& inputs() const { return inputs_; }

 private:
  Tensor inputs_;
  Tensor targets_;
};

// Throws IndexError "<what>: index 12 is out of range for 10 examples" unless 0 <= index < size.
void check_index(const char* what, int64_t index, int64_t size);

}  // namespace cajal::data

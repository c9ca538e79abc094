#include "cajal/data/dataset.h"

#include "cajal/ops/manipulation.h"

namespace cajal::data {

Tensor Dataset::targets() const {
  const int64_t n = size();
  if (n == 0) return Tensor();
  std::vector<Tensor> all;
  all.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    Tensor target = get(i).target;
    if (!target.defined()) return Tensor();
    all.push_back(target);
  }
  return stack(all);
}

void check_index(const char* what, int64_t index, int64_t size) {
  if (index < 0 || index >= size) {
    throw IndexError(std::string(what) + ": index " + std::to_string(index) +
                     " is out of range for " + std::to_string(size) + " examples");
  }
}

TensorDataset::TensorDataset(Tensor inputs, Tensor targets)
    : inputs_(std::move(inputs)), targets_(std::move(targets)) {
  if (!inputs_.defined() || inputs_.dim() == 0) {
    throw ShapeError("TensorDataset: inputs must have a first (example) dimension");
  }
  if (targets_.defined() && (targets_.dim() == 0 || targets_.size(0) != inputs_.size(0))) {
    throw ShapeError("TensorDataset: inputs " + shape_string(inputs_.shape()) + " and targets " +
                     shape_string(targets_.shape()) + " differ in their first dimension");
  }
}

int64_t TensorDataset::size() const { return inputs_.size(0); }

Example TensorDataset::get(int64_t index) const {
  check_index("TensorDataset", index, size());
  return {inputs_.select(0, index), targets_.defined() ? targets_.select(0, index) : Tensor()};
}

}  // namespace cajal::data

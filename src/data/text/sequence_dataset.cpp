#include "cajal/data/text/sequence_dataset.h"

#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/core/shape.h"

namespace cajal::data::text {

SequenceDataset::SequenceDataset(std::vector<std::vector<int64_t>> sequences)
    : sequences_(std::move(sequences)) {}

SequenceDataset::SequenceDataset(std::vector<std::vector<int64_t>> sequences,
                                 const std::vector<int64_t>& targets)
    : sequences_(std::move(sequences)) {
  if (targets.size() != sequences_.size()) {
    throw ValueError("SequenceDataset: " + std::to_string(targets.size()) + " targets for " +
                     std::to_string(sequences_.size()) + " sequences");
  }
  targets_ = from_vector(targets);
}

SequenceDataset::SequenceDataset(std::vector<std::vector<int64_t>> sequences, Tensor targets)
    : sequences_(std::move(sequences)), targets_(std::move(targets)) {
  if (targets_.defined() &&
      (targets_.dim() == 0 || targets_.size(0) != static_cast<int64_t>(sequences_.size()))) {
    throw ShapeError("SequenceDataset: targets of shape " + shape_string(targets_.shape()) +
                     " do not match " + std::to_string(sequences_.size()) + " sequences");
  }
}

const std::vector<int64_t>& SequenceDataset::sequence(int64_t index) const {
  check_index("SequenceDataset", index, size());
  return sequences_[static_cast<size_t>(index)];
}

Example SequenceDataset::get(int64_t index) const {
  const std::vector<int64_t>& tokens = sequence(index);
  return {from_vector(tokens), targets_.defined() ? targets_[index] : Tensor()};
}

}  // namespace cajal::data::text

#pragma once
// SequenceDataset: variable-length token sequences, each with an optional target, for text
// classification and sequence models. Batch it with SequenceLoader, which pads.
//
//   data::text::SequenceDataset reviews(ids_per_review, labels);   // labels: one class each
//   data::Example e = reviews.get(0);   // e.input int64 [length of review 0], e.target int64 []
#include <cstdint>
#include <vector>

#include "cajal/data/dataset.h"

namespace cajal::data::text {

class SequenceDataset : public Dataset {
 public:
  // Unlabelled sequences (get(i).target is undefined).
  explicit SequenceDataset(std::vector<std::vector<int64_t>> sequences);
  // One class id per sequence. ValueError when the counts differ.
  SequenceDataset(std::vector<std::vector<int64_t>> sequences, const std::vector<int64_t>& targets);
  // Targets of any dtype and shape [N, ...] (e.g. float regression values). ShapeError when
  // targets.size(0) differs from the number of sequences.
  SequenceDataset(std::vector<std::vector<int64_t>> sequences, Tensor targets);

  int64_t size() const override { return static_cast<int64_t>(sequences_.size()); }
  // input: int64 [length] (unpadded), target: targets[index] or undefined.
  Example get(int64_t index) const override;
  Tensor targets() const override { return targets_; }

  const std::vector<int64_t>& sequence(int64_t index) const;
  int64_t length(int64_t index) const { return static_cast<int64_t>(sequence(index).size()); }
  const std::vector<std::vector<int64_t>>& sequences() const { return sequences_; }

 private:
  std::vector<std::vector<int64_t>> sequences_;
  Tensor targets_;
};

}  // namespace cajal::data::text

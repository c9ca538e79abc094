#pragma once
// Padding variable-length token sequences into one rectangular batch, as Keras'
// pad_sequences and torch.nn.utils.rnn.pad_sequence (batch_first=True).
//
//   auto batch = data::text::pad_sequences({{5, 6, 7}, {8}});
//   // batch.tokens  [[5, 6, 7], [8, 0, 0]]   int64 [2, 3]
//   // batch.lengths [3, 1]                   int64 [2]
//
// Defaults follow PyTorch: padding goes on the right and nothing is truncated. (Keras pads and
// truncates on the left by default: set pad_left and truncate_left.) A mask of real tokens is
// arange(T) < lengths[:, None] for right padding.
#include <cstdint>
#include <optional>
#include <vector>

#include "cajal/core/tensor.h"

namespace cajal::data::text {

struct PadOptions {
  int64_t padding_value = 0;  // usually the vocabulary's pad_id()
  // Every row has exactly this length: longer sequences are truncated, shorter ones padded.
  // Unset: rows are as long as the longest sequence. Must be >= 1 when set.
  std::optional<int64_t> max_length = std::nullopt;
  bool truncate_left = false;  // drop tokens from the start (keep the end) when truncating
  bool pad_left = false;       // put the padding before the tokens
};

struct PaddedBatch {
  Tensor tokens;   // int64 [N, T]
  Tensor lengths;  // int64 [N]: the tokens kept from each sequence (after truncation)
};

// T = max_length when set, else the longest sequence's length (0 for no or only empty
// sequences). ValueError when max_length < 1.
PaddedBatch pad_sequences(const std::vector<std::vector<int64_t>>& sequences,
                          const PadOptions& options = {});

}  // namespace cajal::data::text

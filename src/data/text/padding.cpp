#include "cajal/data/text/padding.h"

#include <algorithm>

#include "cajal/core/creation.h"
#include "cajal/core/error.h"

namespace cajal::data::text {

PaddedBatch pad_sequences(const std::vector<std::vector<int64_t>>& sequences,
                          const PadOptions& options) {
  if (options.max_length && *options.max_length < 1) {
    throw ValueError("pad_sequences: max_length must be >= 1, got " +
                     std::to_string(*options.max_length));
  }
  const int64_t rows = static_cast<int64_t>(sequences.size());
  int64_t columns = 0;
  if (options.max_length) {
    columns = *options.max_length;
  } else {
    for (const auto& sequence : sequences) {
      columns = std::max(columns, static_cast<int64_t>(sequence.size()));
    }
  }
  std::vector<int64_t> tokens(static_cast<size_t>(rows * columns), options.padding_value);
  std::vector<int64_t> lengths(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const std::vector<int64_t>& sequence = sequences[static_cast<size_t>(r)];
    const int64_t length = std::min(columns, static_cast<int64_t>(sequence.size()));
    const int64_t source =
        options.truncate_left ? static_cast<int64_t>(sequence.size()) - length : 0;
    const int64_t target = options.pad_left ? columns - length : 0;
    std::copy_n(sequence.begin() + source, length, tokens.begin() + r * columns + target);
    lengths[static_cast<size_t>(r)] = length;
  }
  return {from_vector(tokens, Shape{rows, columns}), from_vector(lengths, Shape{rows})};
}

}  // namespace cajal::data::text

#include "cajal/data/text/language_model_stream.h"

#include "cajal/core/creation.h"
#include "cajal/core/error.h"

namespace cajal::data::text {

LanguageModelStream::LanguageModelStream(const std::vector<int64_t>& tokens, int64_t batch_size,
                                         int64_t sequence_length)
    : batch_size_(batch_size), sequence_length_(sequence_length) {
  if (batch_size < 1) {
    throw ValueError("LanguageModelStream: batch_size must be >= 1, got " +
                     std::to_string(batch_size));
  }
  if (sequence_length < 1) {
    throw ValueError("LanguageModelStream: sequence_length must be >= 1, got " +
                     std::to_string(sequence_length));
  }
  row_length_ = static_cast<int64_t>(tokens.size()) / batch_size;
  if (row_length_ < 2) {
    throw ValueError("LanguageModelStream: " + std::to_string(tokens.size()) +
                     " tokens are too few for batch_size " + std::to_string(batch_size) +
                     " (each row needs at least 2 tokens)");
  }
  std::vector<int64_t> kept(tokens.begin(), tokens.begin() + batch_size * row_length_);
  data_ = from_vector(kept, Shape{batch_size, row_length_});
}

int64_t LanguageModelStream::size() const {
  return (row_length_ - 1 + sequence_length_ - 1) / sequence_length_;
}

Example LanguageModelStream::chunk(int64_t index) const {
  check_index("LanguageModelStream", index, size());
  const int64_t start = index * sequence_length_;
  const int64_t length = std::min(sequence_length_, row_length_ - 1 - start);
  return {data_.narrow(1, start, length).contiguous(),
          data_.narrow(1, start + 1, length).contiguous()};
}

}  // namespace cajal::data::text

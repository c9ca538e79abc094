#pragma once
// LanguageModelStream: one long token stream cut for truncated backpropagation through time, as
// PyTorch's word_language_model example (batchify + get_batch).
//
//   data::text::LanguageModelStream stream(ids, /*batch_size=*/20, /*sequence_length=*/35);
//   for (const data::Example& chunk : stream) {
//     // chunk.input int64 [20, 35], chunk.target int64 [20, 35]: the input shifted by one
//   }
//
// Layout: the stream (trailing tokens that do not fill a row dropped) is laid out as batch_size
// contiguous rows of L = size / batch_size tokens: row r holds tokens [r*L, (r+1)*L). Chunk i
// covers columns [i*T, i*T + t) of the rows, t = min(T, L - 1 - i*T), and its target the columns
// one further on. Consecutive chunks continue each row where the last one stopped, so a
// recurrent state carried from chunk to chunk (detached) sees each row as one text. The last
// chunk may be shorter than T.
#include <cstdint>
#include <vector>

#include "cajal/data/dataset.h"

namespace cajal::data::text {

class LanguageModelStream {
 public:
  // ValueError for batch_size < 1, sequence_length < 1, or fewer than 2 tokens per row.
  LanguageModelStream(const std::vector<int64_t>& tokens, int64_t batch_size,
                      int64_t sequence_length);

  // Number of chunks: ceil((L - 1) / T).
  int64_t size() const;
  // input, target: int64 [batch_size, t] (contiguous). IndexError out of range.
  Example chunk(int64_t index) const;
  // The stream as laid out: int64 [batch_size, L].
  const Tensor& data() const { return data_; }
  int64_t batch_size() const { return batch_size_; }
  int64_t sequence_length() const { return sequence_length_; }

  class Iterator {
   public:
    Iterator(const LanguageModelStream* stream, int64_t index) : stream_(stream), index_(index) {}
    Example operator*() const { return stream_->chunk(index_); }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator!=(const Iterator& other) const { return index_ != other.index_; }
    bool operator==(const Iterator& other) const { return index_ == other.index_; }

   private:
    const LanguageModelStream* stream_;
    int64_t index_;
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, size()}; }

 private:
  Tensor data_;
  int64_t batch_size_;
  int64_t sequence_length_;
  int64_t row_length_;
};

}  // namespace cajal::data::text

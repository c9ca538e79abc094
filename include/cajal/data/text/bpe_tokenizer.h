#pragma once
// BpeTokenizer: byte-level byte-pair encoding (Sennrich, Haddow & Birch 2016, "Neural Machine
// Translation of Rare Words with Subword Units"; over bytes as in GPT-2, Radford et al. 2019).
//
//   auto tokenizer = data::text::BpeTokenizer::train(corpus, {.vocab_size = 2000});
//   std::vector<int64_t> ids = tokenizer.encode("any bytes at all");
//   tokenizer.decode(ids) == "any bytes at all"       // lossless for every byte string
//
// Training: the corpus is pre-split into words at whitespace, a single space staying on the
// word that follows it (" cat"), as GPT-2 does; longer runs of whitespace form their own words.
// Starting from the 256 single bytes, each step merges the most frequent adjacent pair of
// symbols (counted over distinct words weighted by their counts; ties go to the pair whose
// left, then right, symbol sorts first) into a new symbol, until the vocabulary reaches
// vocab_size or no pair occurs min_frequency times. Encoding applies the merges to each word in
// the order they were learned.
//
// Token spelling: as in GPT-2, every byte is shown as a printable character (printable ASCII as
// itself, the space as "Ġ", newline as "Ċ", other bytes as code points from U+0100), so tokens,
// merges and the JSON file are readable text. tokenize() returns pieces in that spelling.
//
// Vocabulary ids: the specials first, then the 256 bytes in byte order, then merged tokens in
// the order they were learned. No <unk> is ever produced: every byte has a token.
#include <unordered_map>
#include <utility>

#include "cajal/data/text/tokenizer.h"

namespace cajal::data::text {

struct BpeOptions {
  int64_t vocab_size = 1000;  // >= specials + 256
  int64_t min_frequency = 2;  // a pair seen fewer times is never merged (>= 1)
  std::vector<std::string> specials = {"<pad>", "<unk>", "<bos>", "<eos>"};
};

class BpeTokenizer : public Tokenizer {
 public:
  // ValueError for an empty corpus, vocab_size too small for specials + 256 bytes,
  // min_frequency < 1, or specials that are empty, repeated or spelled like a byte token.
  static BpeTokenizer train(std::string_view corpus, BpeOptions options = {});
  // From a vocabulary (which must hold all 256 byte tokens) and merges whose parts and results
  // are in it. ValueError naming the first missing token.
  BpeTokenizer(Vocabulary vocabulary, std::vector<std::pair<std::string, std::string>> merges,
               BpeOptions options);

  std::vector<std::string> tokenize(std::string_view text) const override;
  std::vector<int64_t> encode(std::string_view text,
                              const EncodeOptions& options = {}) const override;
  // The bytes of the tokens, concatenated (specials as their names unless skipped).
  std::string decode(const std::vector<int64_t>& ids, bool skip_special = true) const override;
  // {"kind": "bpe", "options": {...}, "vocabulary": {...}, "merges": [["t", "h"], ...]}
  std::string to_json() const override;

  // The learned merges, in order, in the printable spelling.
  const std::vector<std::pair<std::string, std::string>>& merges() const { return merges_; }
  const BpeOptions& options() const { return options_; }

  // The printable spelling of raw bytes, and back (ValueError for a character that is not a
  // byte's spelling).
  static std::string bytes_to_token(std::string_view bytes);
  static std::string token_to_bytes(std::string_view token);

 private:
  // Token ids of one pre-split word.
  void encode_word(std::string_view word, std::vector<int64_t>& out) const;

  BpeOptions options_;
  std::vector<std::pair<std::string, std::string>> merges_;
  std::vector<int64_t> byte_ids_;  // byte -> token id
  // (left id << 32 | right id) -> (rank, merged id)
  std::unordered_map<uint64_t, std::pair<int64_t, int64_t>> merge_ranks_;
  std::vector<std::string> token_bytes_;  // id -> raw bytes (specials: their names)
};

}  // namespace cajal::data::text

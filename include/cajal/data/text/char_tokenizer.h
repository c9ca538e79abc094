#pragma once
// CharTokenizer: one token per Unicode code point (UTF-8 decoded, never split mid-character),
// for character-level language models.
//
//   auto tokenizer = data::text::CharTokenizer::train("hello world");
//   tokenizer.tokenize("héllo");   // {"h", "é", "l", "l", "o"}
//   tokenizer.decode(tokenizer.encode("hello")) == "hello"
//
// Characters not seen in training map to <unk> (and decode as nothing with skip_special, or as
// "<unk>" without).
#include "cajal/data/text/tokenizer.h"

namespace cajal::data::text {

struct CharTokenizerOptions {
  VocabularyOptions vocabulary{};
  bool lower = false;  // lower-case ASCII, Latin-1, Greek and Cyrillic letters first
};

class CharTokenizer : public Tokenizer {
 public:
  // ValueError for an empty corpus or invalid UTF-8 (naming the byte offset), or bad options.
  static CharTokenizer train(std::string_view corpus, CharTokenizerOptions options = {});
  CharTokenizer(Vocabulary vocabulary, CharTokenizerOptions options);

  // The code points of `text` (lower-cased if asked), each as its UTF-8 string. ValueError
  // naming the byte offset of invalid UTF-8.
  std::vector<std::string> tokenize(std::string_view text) const override;
  // Concatenates the tokens.
  std::string decode(const std::vector<int64_t>& ids, bool skip_special = true) const override;
  // {"kind": "char", "options": {"lower": ...}, "vocabulary": {...}}
  std::string to_json() const override;
  const CharTokenizerOptions& options() const { return options_; }

 private:
  CharTokenizerOptions options_;
};

}  // namespace cajal::data::text

#pragma once
// WordTokenizer: splits on whitespace and (optionally) punctuation, for word-level models, as
// torchtext's basic_english tokenizer with a vocabulary.
//
//   auto tokenizer = data::text::WordTokenizer::train({"Hello, world!", "Hello again."});
//   tokenizer.tokenize("Hello, world!");   // {"hello", ",", "world", "!"}
//   tokenizer.decode(tokenizer.encode("Hello, world!"));   // "hello , world !"
//
// Punctuation is ASCII's !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ ; each such character becomes its own
// token, except an apostrophe between two letters or digits, which stays inside the word
// ("don't" is one token). Non-ASCII characters are word characters. decode joins tokens with
// single spaces, so it returns the normalised text, not the original spacing.
#include <initializer_list>

#include "cajal/data/text/tokenizer.h"

namespace cajal::data::text {

struct WordTokenizerOptions {
  VocabularyOptions vocabulary{};
  bool lower = true;              // lower-case ASCII, Latin-1, Greek and Cyrillic letters
  bool split_punctuation = true;  // punctuation characters become tokens of their own
};

class WordTokenizer : public Tokenizer {
 public:
  // ValueError when the texts hold no word, for invalid UTF-8 (naming the byte offset), or bad
  // vocabulary options.
  static WordTokenizer train(const std::vector<std::string>& texts,
                             WordTokenizerOptions options = {});
  static WordTokenizer train(std::string_view corpus, WordTokenizerOptions options = {});
  // train({"first text", "second text"}): a brace list of texts (a plain brace list would be
  // ambiguous between the two overloads above).
  static WordTokenizer train(std::initializer_list<std::string_view> texts,
                             WordTokenizerOptions options = {});
  WordTokenizer(Vocabulary vocabulary, WordTokenizerOptions options);

  std::vector<std::string> tokenize(std::string_view text) const override;
  // Joins the tokens with single spaces.
  std::string decode(const std::vector<int64_t>& ids, bool skip_special = true) const override;
  // {"kind": "word", "options": {"lower": ..., "split_punctuation": ...}, "vocabulary": {...}}
  std::string to_json() const override;
  const WordTokenizerOptions& options() const { return options_; }

 private:
  WordTokenizerOptions options_;
};

}  // namespace cajal::data::text

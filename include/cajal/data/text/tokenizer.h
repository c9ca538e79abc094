#pragma once
// Tokenizer: turns text into token ids for an embedding layer and back.
//
//   auto tokenizer = data::text::WordTokenizer::train(texts);
//   std::vector<int64_t> ids = tokenizer.encode("The cat sat.", {.add_eos = true});
//   std::string text = tokenizer.decode(ids);      // "the cat sat ."
//   tokenizer.save("tokenizer.json");
//   auto again = data::text::load_tokenizer("tokenizer.json");   // any kind
//
// Kinds: CharTokenizer (one token per Unicode code point), WordTokenizer (whitespace and
// punctuation), BpeTokenizer (byte-level byte-pair encoding, lossless). Special tokens such as
// "<eos>" written inside the text are not recognised: they are ordinary text there.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cajal/data/text/vocabulary.h"

namespace cajal::data::text {

struct EncodeOptions {
  bool add_bos = false;  // prepend the vocabulary's <bos> (ValueError when it has none)
  bool add_eos = false;  // append the vocabulary's <eos> (ValueError when it has none)
};

class Tokenizer {
 public:
  virtual ~Tokenizer();

  // The pieces of `text`, in order (their spelling depends on the kind; see each class).
  virtual std::vector<std::string> tokenize(std::string_view text) const = 0;
  // The ids of the pieces; unknown pieces map to <unk> (ValueError when there is none).
  virtual std::vector<int64_t> encode(std::string_view text,
                                      const EncodeOptions& options = {}) const;
  // Text from ids. skip_special leaves out specials (<pad>, <bos>, ...). IndexError for an id
  // outside [0, vocab_size).
  virtual std::string decode(const std::vector<int64_t>& ids, bool skip_special = true) const = 0;

  const Vocabulary& vocabulary() const { return vocabulary_; }
  int64_t vocab_size() const { return vocabulary_.size(); }

  // Everything needed to rebuild the tokenizer: {"kind": ..., "options": ..., "vocabulary": ...}
  // (and "merges" for BPE). tokenizer_from_json reads it back.
  virtual std::string to_json() const = 0;
  // Writes to_json() to `path` atomically; IOError naming the path on failure.
  void save(const std::filesystem::path& path) const;

 protected:
  Tokenizer() = default;
  explicit Tokenizer(Vocabulary vocabulary) : vocabulary_(std::move(vocabulary)) {}
  // Appends <bos>/<eos> around `ids` as the options ask. `where` names the caller in errors.
  void add_markers(std::vector<int64_t>& ids, const EncodeOptions& options,
                   const char* where) const;

  Vocabulary vocabulary_;
};

// Rebuilds a tokenizer of any kind from its to_json(). SpecError naming the offending field
// ("/vocabulary/tokens/3: expected a string", "/kind: unknown tokenizer kind 'x'"); ValueError
// for a well-formed but inconsistent tokenizer.
std::unique_ptr<Tokenizer> tokenizer_from_json(std::string_view json);
// Reads a file written by Tokenizer::save. IOError naming the file when it cannot be read;
// SpecError/ValueError (prefixed with the file name) when its contents are malformed.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& path);

}  // namespace cajal::data::text

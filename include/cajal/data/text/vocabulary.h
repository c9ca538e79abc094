#pragma once
// Vocabulary: the bijection between tokens (strings) and integer ids that an embedding layer
// indexes, as torchtext's Vocab or Keras' StringLookup.
//
//   auto vocabulary = data::text::Vocabulary::build({{"the", 5}, {"cat", 2}, {"sat", 2}});
//   vocabulary.id("cat");      // 5: the four default specials take ids 0..3, then "the" (4)
//   vocabulary.id("dog");      // 1, the id of <unk>
//   vocabulary.token(4);       // "the"
//
// Ordering (deterministic): the specials first, in the given order, then the other tokens by
// descending count, ties broken alphabetically (byte order).
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cajal::data::text {

struct VocabularyOptions {
  int64_t min_freq = 1;  // tokens seen fewer times are left out (>= 1)
  // Largest vocabulary, specials included in the count; 0 = no limit. Must leave room for the
  // specials.
  int64_t max_size = 0;
  std::vector<std::string> specials = {"<pad>", "<unk>", "<bos>", "<eos>"};
  // The token unknown words map to; "" = no unknown token: looking up an unknown word throws.
  // When not among `specials` it is added to them, after the given ones.
  std::string unk_token = "<unk>";
  // The names behind pad_id(), bos_id() and eos_id(); an id is present when its token is in the
  // vocabulary.
  std::string pad_token = "<pad>";
  std::string bos_token = "<bos>";
  std::string eos_token = "<eos>";
};

class Vocabulary {
 public:
  // An empty vocabulary (size 0); build one with build() or from_json().
  Vocabulary() = default;
  // Exactly these tokens, in this order: ids 0..n-1. `counts` is empty (all 0) or one per
  // token. The specials named by `options.specials` that are in `tokens` are flagged special;
  // min_freq and max_size are not applied. ValueError on duplicate or empty tokens, or when
  // unk_token is set and missing from `tokens`.
  Vocabulary(std::vector<std::string> tokens, std::vector<int64_t> counts,
             const VocabularyOptions& options);

  // From token counts. ValueError for min_freq < 1, max_size < 0, max_size smaller than the
  // number of specials, duplicate or empty specials, or an empty token.
  static Vocabulary build(const std::map<std::string, int64_t>& counts,
                          const VocabularyOptions& options = {});
  // From a token list, e.g. a std::vector<std::string> (each occurrence counts once). A span,
  // not a vector, so that a brace list of {token, count} pairs picks the overload above.
  static Vocabulary build(std::span<const std::string> tokens,
                          const VocabularyOptions& options = {});

  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  bool contains(std::string_view token) const;
  // The id of `token`, else the unknown token's id; ValueError "unknown token 'xyz' and the
  // vocabulary has no <unk>" when there is none.
  int64_t id(std::string_view token) const;
  // The id of `token` if present.
  std::optional<int64_t> find(std::string_view token) const;
  // IndexError when id is outside [0, size).
  const std::string& token(int64_t id) const;
  // How often the token was counted when the vocabulary was built (0 for specials not seen).
  int64_t count(int64_t id) const;
  bool is_special(int64_t id) const;
  const std::vector<std::string>& tokens() const { return tokens_; }

  std::optional<int64_t> pad_id() const { return pad_id_; }
  std::optional<int64_t> unk_id() const { return unk_id_; }
  std::optional<int64_t> bos_id() const { return bos_id_; }
  std::optional<int64_t> eos_id() const { return eos_id_; }
  const VocabularyOptions& options() const { return options_; }

  // {"tokens": [...], "counts": [...], "specials": [...], "unk_token": ..., "pad_token": ...,
  //  "bos_token": ..., "eos_token": ..., "min_freq": ..., "max_size": ...}
  std::string to_json() const;
  // SpecError naming the offending field (e.g. "/tokens/3: expected a string") for malformed
  // JSON; ValueError for an inconsistent vocabulary (duplicate tokens, missing unk_token).
  static Vocabulary from_json(std::string_view json);

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  VocabularyOptions options_;
  std::vector<std::string> tokens_;
  std::vector<int64_t> counts_;
  std::vector<bool> special_;
  std::unordered_map<std::string, int64_t, Hash, std::equal_to<>> index_;
  std::optional<int64_t> pad_id_, unk_id_, bos_id_, eos_id_;
};

}  // namespace cajal::data::text

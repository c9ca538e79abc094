#include "cajal/data/text/char_tokenizer.h"

#include <map>

#include "cajal/core/error.h"
#include "tokenizer_json.h"
#include "utf8.h"

namespace cajal::data::text {
namespace {

// Calls visit(piece) for every code point of `text`, lower-cased if asked.
template <typename Visit>
void for_each_character(std::string_view text, bool lower, const char* where, Visit visit) {
  std::string piece;
  size_t offset = 0;
  while (offset < text.size()) {
    char32_t c = detail::next_code_point(text, offset, where);
    if (lower) c = detail::to_lower(c);
    piece.clear();
    detail::append_utf8(piece, c);
    visit(piece);
  }
}

}  // namespace

CharTokenizer::CharTokenizer(Vocabulary vocabulary, CharTokenizerOptions options)
    : Tokenizer(std::move(vocabulary)), options_(std::move(options)) {
  options_.vocabulary = vocabulary_.options();
}

CharTokenizer CharTokenizer::train(std::string_view corpus, CharTokenizerOptions options) {
  if (corpus.empty()) throw ValueError("CharTokenizer.train: the corpus is empty");
  std::map<std::string, int64_t> counts;
  for_each_character(corpus, options.lower, "CharTokenizer.train",
                     [&](const std::string& piece) { ++counts[piece]; });
  Vocabulary vocabulary = Vocabulary::build(counts, options.vocabulary);
  return CharTokenizer(std::move(vocabulary), std::move(options));
}

std::vector<std::string> CharTokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> pieces;
  pieces.reserve(text.size());
  for_each_character(text, options_.lower, "CharTokenizer",
                     [&](const std::string& piece) { pieces.push_back(piece); });
  return pieces;
}

std::string CharTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special) const {
  std::string text;
  for (int64_t id : ids) {
    const std::string& token = vocabulary_.token(id);
    if (skip_special && vocabulary_.is_special(id)) continue;
    text += token;
  }
  return text;
}

std::string CharTokenizer::to_json() const {
  detail::Json value{{"kind", "char"},
                     {"options", {{"lower", options_.lower}}},
                     {"vocabulary", detail::vocabulary_to_json(vocabulary_)}};
  return detail::dump(value);
}

namespace detail {

std::unique_ptr<Tokenizer> char_tokenizer_from_json(const Json& value, const std::string& where) {
  CharTokenizerOptions options;
  const Json& json_options = field(value, "options", where, "");
  options.lower = as_bool(field(json_options, "lower", where, "/options"), where, "/options/lower");
  Vocabulary vocabulary =
      vocabulary_from_json(field(value, "vocabulary", where, ""), where, "/vocabulary");
  return std::make_unique<CharTokenizer>(std::move(vocabulary), std::move(options));
}

}  // namespace detail
}  // namespace cajal::data::text

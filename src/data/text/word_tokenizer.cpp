#include "cajal/data/text/word_tokenizer.h"

#include <map>

#include "cajal/core/error.h"
#include "tokenizer_json.h"
#include "utf8.h"

namespace cajal::data::text {
namespace {

bool is_word_character(char32_t c) { return !detail::is_space(c) && !detail::is_punctuation(c); }

// Calls visit(word) for each token of `text`.
template <typename Visit>
void for_each_word(std::string_view text, const WordTokenizerOptions& options, const char* where,
                   Visit visit) {
  // Decode once so the apostrophe rule can look at both neighbours.
  std::vector<char32_t> characters;
  size_t offset = 0;
  while (offset < text.size()) characters.push_back(detail::next_code_point(text, offset, where));
  std::string word;
  auto flush = [&] {
    if (!word.empty()) visit(word);
    word.clear();
  };
  for (size_t i = 0; i < characters.size(); ++i) {
    char32_t c = characters[i];
    if (detail::is_space(c)) {
      flush();
      continue;
    }
    if (options.split_punctuation && detail::is_punctuation(c)) {
      const bool inner_apostrophe = c == '\'' && i > 0 && i + 1 < characters.size() &&
                                    is_word_character(characters[i - 1]) &&
                                    is_word_character(characters[i + 1]);
      if (!inner_apostrophe) {
        flush();
        detail::append_utf8(word, c);
        flush();
        continue;
      }
    }
    detail::append_utf8(word, options.lower ? detail::to_lower(c) : c);
  }
  flush();
}

}  // namespace

WordTokenizer::WordTokenizer(Vocabulary vocabulary, WordTokenizerOptions options)
    : Tokenizer(std::move(vocabulary)), options_(std::move(options)) {
  options_.vocabulary = vocabulary_.options();
}

WordTokenizer WordTokenizer::train(const std::vector<std::string>& texts,
                                   WordTokenizerOptions options) {
  std::map<std::string, int64_t> counts;
  for (const std::string& text : texts) {
    for_each_word(text, options, "WordTokenizer.train",
                  [&](const std::string& word) { ++counts[word]; });
  }
  if (counts.empty()) throw ValueError("WordTokenizer.train: the corpus has no words");
  Vocabulary vocabulary = Vocabulary::build(counts, options.vocabulary);
  return WordTokenizer(std::move(vocabulary), std::move(options));
}

WordTokenizer WordTokenizer::train(std::string_view corpus, WordTokenizerOptions options) {
  return train(std::vector<std::string>{std::string(corpus)}, std::move(options));
}

WordTokenizer WordTokenizer::train(std::initializer_list<std::string_view> texts,
                                   WordTokenizerOptions options) {
  return train(std::vector<std::string>(texts.begin(), texts.end()), std::move(options));
}

std::vector<std::string> WordTokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> words;
  for_each_word(text, options_, "WordTokenizer",
                [&](const std::string& word) { words.push_back(word); });
  return words;
}

std::string WordTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special) const {
  std::string text;
  for (int64_t id : ids) {
    const std::string& token = vocabulary_.token(id);
    if (skip_special && vocabulary_.is_special(id)) continue;
    if (!text.empty()) text += ' ';
    text += token;
  }
  return text;
}

std::string WordTokenizer::to_json() const {
  detail::Json value{
      {"kind", "word"},
      {"options", {{"lower", options_.lower}, {"split_punctuation", options_.split_punctuation}}},
      {"vocabulary", detail::vocabulary_to_json(vocabulary_)}};
  return detail::dump(value);
}

namespace detail {

std::unique_ptr<Tokenizer> word_tokenizer_from_json(const Json& value, const std::string& where) {
  WordTokenizerOptions options;
  const Json& json_options = field(value, "options", where, "");
  options.lower = as_bool(field(json_options, "lower", where, "/options"), where, "/options/lower");
  options.split_punctuation = as_bool(field(json_options, "split_punctuation", where, "/options"),
                                      where, "/options/split_punctuation");
  Vocabulary vocabulary =
      vocabulary_from_json(field(value, "vocabulary", where, ""), where, "/vocabulary");
  return std::make_unique<WordTokenizer>(std::move(vocabulary), std::move(options));
}

}  // namespace detail
}  // namespace cajal::data::text

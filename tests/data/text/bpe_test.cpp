#include "cajal/data/text/bpe_tokenizer.h"

#include <gtest/gtest.h>

#include <map>

#include "cajal/core/error.h"
#include "cajal/core/random.h"
#include "support/expect_error.h"

namespace cajal::data::text {
namespace {

using testing::expect_error;
using Merges = std::vector<std::pair<std::string, std::string>>;
using Strings = std::vector<std::string>;

TEST(BpeTokenizer, MergesByHand) {
  // Words: "ab" x1, " ab" x2 (the space stays on the following word). Pairs: (a, b) 3,
  // (Ġ, a) 2 -> merge (a, b); then (Ġ, ab) 2 -> merge; then no pairs are left.
  BpeTokenizer tokenizer = BpeTokenizer::train("ab ab ab");
  EXPECT_EQ(tokenizer.merges(), (Merges{{"a", "b"}, {"Ġ", "ab"}}));
  EXPECT_EQ(tokenizer.vocab_size(), 4 + 256 + 2);
  EXPECT_EQ(tokenizer.vocabulary().token(260), "ab");
  EXPECT_EQ(tokenizer.vocabulary().token(261), "Ġab");
  EXPECT_EQ(tokenizer.tokenize("ab ab abab"), (Strings{"ab", "Ġab", "Ġab", "ab"}));
  EXPECT_EQ(tokenizer.encode("ab ab"), (std::vector<int64_t>{260, 261}));
}

TEST(BpeTokenizer, MinFrequencyAndRepeatedSymbols) {
  // One word "xyxy": (x, y) 2, (y, x) 1 -> merge (x, y); then (xy, xy) occurs once.
  EXPECT_EQ(BpeTokenizer::train("xyxy").merges(), (Merges{{"x", "y"}}));
  EXPECT_EQ(BpeTokenizer::train("xyxy", {.min_frequency = 1}).merges(),
            (Merges{{"x", "y"}, {"xy", "xy"}}));
  // "aaaa": (a, a) counts 3; merging left to right gives "aa aa", then (aa, aa) once.
  EXPECT_EQ(BpeTokenizer::train("aaaa", {.min_frequency = 1}).merges(),
            (Merges{{"a", "a"}, {"aa", "aa"}}));
}

TEST(BpeTokenizer, TiesGoToTheAlphabeticallyFirstPair) {
  // Words "ab" and " cd": (a, b), (Ġ, c), (c, d) once each; 'Ġ' (U+0120) sorts after ASCII.
  BpeTokenizer tokenizer = BpeTokenizer::train("ab cd", {.min_frequency = 1});
  EXPECT_EQ(tokenizer.merges(), (Merges{{"a", "b"}, {"c", "d"}, {"Ġ", "cd"}}));
}

TEST(BpeTokenizer, VocabSizeIsRespected) {
  std::string corpus;
  for (int i = 0; i < 200; ++i) corpus += " the theory of the thermal throne thrives";
  for (int64_t size : {260, 261, 265, 280}) {
    BpeTokenizer tokenizer = BpeTokenizer::train(corpus, {.vocab_size = size});
    EXPECT_EQ(tokenizer.vocab_size(), size);
    EXPECT_EQ(static_cast<int64_t>(tokenizer.merges().size()), size - 260);
  }
  // A huge budget stops when no pair reaches min_frequency.
  BpeTokenizer all = BpeTokenizer::train(corpus, {.vocab_size = 100000});
  EXPECT_LT(all.vocab_size(), 400);
  EXPECT_EQ(all.tokenize(" thermal"), (Strings{"Ġthermal"}));
  // Every word of the corpus becomes one token.
  EXPECT_EQ(all.tokenize(corpus).size(), 200u * 7u);
}

TEST(BpeTokenizer, PreSplitKeepsOneSpaceOnTheFollowingWord) {
  BpeTokenizer tokenizer = BpeTokenizer::train("a", {.vocab_size = 260});
  EXPECT_EQ(tokenizer.tokenize("a  b\n c "), (Strings{"a", "Ġ", "Ġ", "b", "Ċ", "Ġ", "c", "Ġ"}));
  BpeTokenizer merged = BpeTokenizer::train("a  b\n c a  b\n c ", {.min_frequency = 2});
  EXPECT_EQ(merged.decode(merged.encode("a  b\n c ")), "a  b\n c ");
}

TEST(BpeTokenizer, LosslessOnRandomBytesAndUtf8) {
  Generator generator(7);
  std::string corpus;
  const Strings words = {"naïve", "café", "日本語", "données", " ", "\n", "the", "κόσμε"};
  for (int i = 0; i < 3000; ++i) corpus += words[generator.integer(0, words.size())] + " ";
  BpeTokenizer tokenizer = BpeTokenizer::train(corpus, {.vocab_size = 300});
  EXPECT_EQ(tokenizer.vocab_size(), 300);
  const std::string text = "naïve café 日本語 κόσμε!\ttabs  and   spaces\n";
  EXPECT_EQ(tokenizer.decode(tokenizer.encode(text)), text);
  EXPECT_LT(tokenizer.encode("日本語").size(), 3u);  // merged below byte level
  for (int trial = 0; trial < 50; ++trial) {
    std::string bytes(static_cast<size_t>(generator.integer(0, 300)), '\0');
    for (char& byte : bytes) byte = static_cast<char>(generator.integer(0, 256));
    const std::vector<int64_t> ids = tokenizer.encode(bytes);
    for (int64_t id : ids) EXPECT_FALSE(tokenizer.vocabulary().is_special(id));
    ASSERT_EQ(tokenizer.decode(ids), bytes);
  }
  // Specials decode as their names only when asked.
  const std::vector<int64_t> marked = tokenizer.encode("café", {.add_bos = true, .add_eos = true});
  EXPECT_EQ(tokenizer.decode(marked), "café");
  EXPECT_EQ(tokenizer.decode(marked, false), "<bos>café<eos>");
}

TEST(BpeTokenizer, ByteSpelling) {
  EXPECT_EQ(BpeTokenizer::bytes_to_token(" a\n"), "ĠaĊ");
  EXPECT_EQ(BpeTokenizer::token_to_bytes("ĠaĊ"), " a\n");
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  EXPECT_EQ(BpeTokenizer::token_to_bytes(BpeTokenizer::bytes_to_token(all)), all);
  expect_error<ValueError>([] { BpeTokenizer::token_to_bytes("日"); },
                           "not the spelling of a byte");
}

TEST(BpeTokenizer, MergeNeverRecreatesASpecial) {
  // "<pad>" as text must stay ordinary bytes, not the special's id.
  std::string corpus;
  for (int i = 0; i < 50; ++i) corpus += "<pad> ";
  BpeTokenizer tokenizer = BpeTokenizer::train(corpus);
  for (int64_t id : tokenizer.encode("<pad>")) EXPECT_NE(id, 0);
  EXPECT_EQ(tokenizer.decode(tokenizer.encode("<pad> <pad>")), "<pad> <pad>");
}

// The training rule written out plainly: recount every pair over the distinct words before each
// merge. The tokenizer's incremental counts must pick the same merges.
Merges naive_merges(const std::vector<std::pair<std::string, int64_t>>& word_counts,
                    int64_t merge_count, int64_t min_frequency) {
  std::vector<std::pair<Strings, int64_t>> words;
  for (const auto& [word, count] : word_counts) {
    Strings symbols;
    for (char byte : word) symbols.push_back(BpeTokenizer::bytes_to_token(std::string(1, byte)));
    words.emplace_back(symbols, count);
  }
  Merges merges;
  while (static_cast<int64_t>(merges.size()) < merge_count) {
    std::map<std::pair<std::string, std::string>, int64_t> counts;  // alphabetical order
    for (const auto& [symbols, count] : words) {
      for (size_t i = 0; i + 1 < symbols.size(); ++i) counts[{symbols[i], symbols[i + 1]}] += count;
    }
    std::pair<std::string, std::string> best;
    int64_t best_count = 0;
    for (const auto& [pair, count] : counts) {
      if (count > best_count) best = pair, best_count = count;
    }
    if (best_count < min_frequency) break;
    merges.push_back(best);
    for (auto& [symbols, count] : words) {
      Strings merged;
      for (size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == best.first && symbols[i + 1] == best.second) {
          merged.push_back(best.first + best.second);
          ++i;
        } else {
          merged.push_back(symbols[i]);
        }
      }
      symbols = merged;
    }
  }
  return merges;
}

TEST(BpeTokenizer, MatchesPlainRecounting) {
  Generator generator(11);
  std::map<std::string, int64_t> distinct;
  std::string corpus;
  for (int i = 0; i < 4000; ++i) {
    std::string word = " ";
    const int64_t length = generator.integer(1, 9);
    for (int64_t j = 0; j < length; ++j) word += "abcde"[generator.integer(0, 5)];
    corpus += word;
    ++distinct[word];
  }
  std::vector<std::pair<std::string, int64_t>> word_counts(distinct.begin(), distinct.end());
  BpeTokenizer tokenizer = BpeTokenizer::train(corpus, {.vocab_size = 4 + 256 + 150});
  const Merges expected = naive_merges(word_counts, 150, 2);
  ASSERT_EQ(tokenizer.merges().size(), expected.size());
  EXPECT_EQ(tokenizer.merges(), expected);
}

TEST(BpeTokenizer, BadOptions) {
  expect_error<ValueError>([] { BpeTokenizer::train("abc", {.vocab_size = 259}); },
                           {"vocab_size 259", "4 specials + 256"});
  expect_error<ValueError>([] { BpeTokenizer::train("abc", {.min_frequency = 0}); },
                           {"min_frequency", "0"});
  expect_error<ValueError>([] { BpeTokenizer::train(""); }, "corpus is empty");
  expect_error<ValueError>([] { BpeTokenizer::train("abc", {.specials = {"a"}}); },
                           {"'a'", "byte token"});
  expect_error<ValueError>(
      [] {
        BpeTokenizer::train("abc", {.specials = {"<s>", "<s>"}});
      },
      {"'<s>'", "twice"});
  BpeTokenizer no_specials = BpeTokenizer::train("abc", {.specials = {}});
  EXPECT_EQ(no_specials.vocab_size(), 256 + 0);  // each pair occurs once: nothing merged
  expect_error<ValueError>([&] { no_specials.encode("a", {.add_bos = true}); }, "add_bos");
  expect_error<IndexError>([&] { no_specials.decode({256}); }, "id 256");
}

}  // namespace
}  // namespace cajal::data::text

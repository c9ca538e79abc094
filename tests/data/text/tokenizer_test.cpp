// CharTokenizer, WordTokenizer and the kind-independent JSON / file round trips.
#include "cajal/data/text/tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cajal/core/error.h"
#include "cajal/data/text/bpe_tokenizer.h"
#include "cajal/data/text/char_tokenizer.h"
#include "cajal/data/text/word_tokenizer.h"
#include "support/expect_error.h"

namespace cajal::data::text {
namespace {

using testing::expect_error;
using Strings = std::vector<std::string>;

TEST(CharTokenizer, CodePointsNotBytes) {
  CharTokenizer tokenizer = CharTokenizer::train("héllo wörld ✓");
  EXPECT_EQ(tokenizer.tokenize("hé✓"), (Strings{"h", "é", "✓"}));
  // 4 specials + distinct characters h é l o ' ' w ö r d ✓ = 10.
  EXPECT_EQ(tokenizer.vocab_size(), 14);
  // Most frequent first: l (3), ' ' (2), then the others (1 each) in byte order: d, h, o, ...
  EXPECT_EQ(tokenizer.vocabulary().token(4), "l");
  EXPECT_EQ(tokenizer.vocabulary().token(5), " ");
  EXPECT_EQ(tokenizer.vocabulary().token(6), "d");
  EXPECT_EQ(tokenizer.vocabulary().token(8), "o");
  const std::vector<int64_t> ids = tokenizer.encode("héllo");
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_EQ(tokenizer.decode(ids), "héllo");
  EXPECT_EQ(tokenizer.decode(tokenizer.encode("wörld ✓")), "wörld ✓");
}

TEST(CharTokenizer, UnknownLowerAndMarkers) {
  CharTokenizer tokenizer = CharTokenizer::train("ab", {.lower = true});
  EXPECT_EQ(tokenizer.tokenize("AÉ"), (Strings{"a", "é"}));
  const std::vector<int64_t> ids = tokenizer.encode("AzB", {.add_bos = true, .add_eos = true});
  const int64_t unk = *tokenizer.vocabulary().unk_id();
  EXPECT_EQ(ids, (std::vector<int64_t>{2, tokenizer.vocabulary().id("a"), unk,
                                       tokenizer.vocabulary().id("b"), 3}));
  EXPECT_EQ(tokenizer.decode(ids), "ab");
  EXPECT_EQ(tokenizer.decode(ids, /*skip_special=*/false), "<bos>a<unk>b<eos>");
}

TEST(CharTokenizer, Errors) {
  expect_error<ValueError>([] { CharTokenizer::train(""); }, "corpus is empty");
  expect_error<ValueError>([] { CharTokenizer::train("ab\xc3"); },
                           "invalid UTF-8 at byte offset 2");
  CharTokenizer tokenizer = CharTokenizer::train("abc");
  expect_error<ValueError>([&] { tokenizer.encode("a\xff"); }, "invalid UTF-8 at byte offset 1");
  expect_error<ValueError>([&] { tokenizer.encode("\xc0\xaf"); }, "byte offset 0");  // overlong
  expect_error<ValueError>([&] { tokenizer.encode("\xed\xa0\x80"); },
                           "byte offset 0");  // surrogate
  expect_error<IndexError>([&] { tokenizer.decode({0, 7}); }, {"id 7", "7 tokens"});
  expect_error<IndexError>([&] { tokenizer.decode({-1}); }, "id -1");
  CharTokenizer no_unknown =
      CharTokenizer::train("abc", {.vocabulary = {.specials = {}, .unk_token = ""}});
  expect_error<ValueError>([&] { no_unknown.encode("abz"); },
                           "unknown token 'z' and the vocabulary has no <unk>");
  expect_error<ValueError>([&] { no_unknown.encode("ab", {.add_eos = true}); },
                           {"add_eos", "'<eos>'"});
}

TEST(WordTokenizer, PunctuationAndLowerCase) {
  WordTokenizer tokenizer =
      WordTokenizer::train({"Hello, world! Don't panic.", "The world ends (soon)..."});
  EXPECT_EQ(tokenizer.tokenize("Hello, world! Don't panic."),
            (Strings{"hello", ",", "world", "!", "don't", "panic", "."}));
  EXPECT_EQ(tokenizer.tokenize("  'quoted'  (soon)...\tÉTÉ\n"),
            (Strings{"'", "quoted", "'", "(", "soon", ")", ".", ".", ".", "été"}));
  // Counts: "." 4 times, world 2, then 1-count words alphabetically.
  EXPECT_EQ(tokenizer.vocabulary().token(4), ".");
  EXPECT_EQ(tokenizer.vocabulary().token(5), "world");
  EXPECT_EQ(tokenizer.decode(tokenizer.encode("Hello, WORLD!")), "hello , world !");
  EXPECT_EQ(tokenizer.decode(tokenizer.encode("hello moon")), "hello");
  EXPECT_EQ(tokenizer.decode(tokenizer.encode("hello moon"), false), "hello <unk>");
}

TEST(WordTokenizer, OptionsOff) {
  WordTokenizer tokenizer = WordTokenizer::train(std::string_view("Hello, world! Hello"),
                                                 {.lower = false, .split_punctuation = false});
  EXPECT_EQ(tokenizer.tokenize("Hello, world!"), (Strings{"Hello,", "world!"}));
  EXPECT_EQ(tokenizer.vocabulary().token(4), "Hello");
  EXPECT_EQ(tokenizer.vocab_size(), 7);
  expect_error<ValueError>([] { WordTokenizer::train(Strings{" ", "\n"}); }, "no words");
  expect_error<ValueError>(
      [] {
        WordTokenizer::train(Strings{"ok", "bad\xe2\x82"});
      },
      "invalid UTF-8 at byte offset 3");
  expect_error<ValueError>(
      [] { WordTokenizer::train(Strings{"a"}, {.vocabulary = {.min_freq = -1}}); },
      {"min_freq", "-1"});
}

std::vector<std::unique_ptr<Tokenizer>> trained_tokenizers() {
  const std::string corpus = "The quick brown fox jumps over the lazy dog. The dog sleeps.";
  std::vector<std::unique_ptr<Tokenizer>> tokenizers;
  tokenizers.push_back(std::make_unique<CharTokenizer>(CharTokenizer::train(corpus)));
  tokenizers.push_back(std::make_unique<WordTokenizer>(WordTokenizer::train(corpus)));
  tokenizers.push_back(
      std::make_unique<BpeTokenizer>(BpeTokenizer::train(corpus, {.vocab_size = 280})));
  return tokenizers;
}

TEST(Tokenizer, JsonAndFileRoundTripsEncodeIdentically) {
  const std::string text = "the lazy fox sleeps, quickly! Ünknown";
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "cajal_text_tokenizer_test.json";
  for (const auto& tokenizer : trained_tokenizers()) {
    const std::string json = tokenizer->to_json();
    std::unique_ptr<Tokenizer> from_json = tokenizer_from_json(json);
    EXPECT_EQ(from_json->to_json(), json);
    EXPECT_EQ(from_json->encode(text), tokenizer->encode(text));
    EXPECT_EQ(from_json->vocab_size(), tokenizer->vocab_size());
    tokenizer->save(path);
    std::unique_ptr<Tokenizer> loaded = load_tokenizer(path);
    EXPECT_EQ(loaded->encode(text), tokenizer->encode(text));
    EXPECT_EQ(loaded->decode(loaded->encode(text)), tokenizer->decode(tokenizer->encode(text)));
  }
  std::filesystem::remove(path);
}

TEST(Tokenizer, KindsKeepTheirOptions) {
  WordTokenizer word = WordTokenizer::train(std::string_view("A b"), {.lower = false});
  auto again = tokenizer_from_json(word.to_json());
  auto* as_word = dynamic_cast<WordTokenizer*>(again.get());
  ASSERT_NE(as_word, nullptr);
  EXPECT_FALSE(as_word->options().lower);
  EXPECT_TRUE(as_word->options().split_punctuation);
  CharTokenizer character = CharTokenizer::train("Ab", {.lower = true});
  auto* as_char = dynamic_cast<CharTokenizer*>(tokenizer_from_json(character.to_json()).get());
  ASSERT_NE(as_char, nullptr);
}

TEST(Tokenizer, MalformedJsonNamesTheField) {
  expect_error<SpecError>([] { tokenizer_from_json("not json"); }, "invalid JSON");
  expect_error<SpecError>([] { tokenizer_from_json("{}"); }, "missing field \"kind\"");
  expect_error<SpecError>([] { tokenizer_from_json(R"({"kind": 3})"); },
                          {"/kind", "expected a string"});
  expect_error<SpecError>([] { tokenizer_from_json(R"({"kind": "sentencepiece"})"); },
                          {"/kind", "unknown tokenizer kind 'sentencepiece'"});
  const std::string json = CharTokenizer::train("abc").to_json();
  auto broken = [&](const std::string& from, const std::string& to) {
    std::string copy = json;
    const size_t at = copy.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    copy.replace(at, from.size(), to);
    return copy;
  };
  expect_error<SpecError>([&] { tokenizer_from_json(broken("\"lower\":false", "\"lower\":1")); },
                          {"/options/lower", "true or false"});
  expect_error<SpecError>(
      [&] { tokenizer_from_json(broken("\"counts\":[", "\"counts\":[\"x\",")); },
      {"/vocabulary/counts/0", "expected an integer"});
  expect_error<SpecError>([&] { tokenizer_from_json(broken("\"tokens\"", "\"tokenz\"")); },
                          {"/vocabulary", "missing field \"tokens\""});
  expect_error<ValueError>([&] { tokenizer_from_json(broken("\"a\",\"b\"", "\"a\",\"a\"")); },
                           {"'a'", "twice"});
  const std::string bpe = BpeTokenizer::train("aaa bbb aaa", {.vocab_size = 262}).to_json();
  std::string bad_merge = bpe;
  bad_merge.replace(bad_merge.find("\"merges\":[["), 11, "\"merges\":[[\"q\",\"zz\"],[");
  expect_error<ValueError>([&] { tokenizer_from_json(bad_merge); }, {"merge 0", "'zz'"});
  std::string short_merge = bpe;
  short_merge.replace(short_merge.find("\"merges\":[["), 11, "\"merges\":[[\"a\"],[");
  expect_error<SpecError>([&] { tokenizer_from_json(short_merge); }, {"/merges/0", "two strings"});
}

TEST(Tokenizer, LoadErrorsNameTheFile) {
  expect_error<IOError>([] { load_tokenizer("/nonexistent/dir/tok.json"); },
                        "/nonexistent/dir/tok.json");
  expect_error<IOError>([] { load_tokenizer(std::filesystem::temp_directory_path()); },
                        "is a directory");
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "cajal_text_bad_tokenizer.json";
  std::ofstream(path) << "{\"kind\": \"word\"}";
  expect_error<SpecError>([&] { load_tokenizer(path); },
                          {path.string(), "missing field \"options\""});
  std::filesystem::remove(path);
  expect_error<IOError>([] { CharTokenizer::train("a").save("/nonexistent/dir/tok.json"); },
                        "/nonexistent/dir");
}

}  // namespace
}  // namespace cajal::data::text

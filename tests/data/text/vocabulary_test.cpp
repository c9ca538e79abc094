#include "cajal/data/text/vocabulary.h"

#include <gtest/gtest.h>

#include "cajal/core/error.h"
#include "support/expect_error.h"

namespace cajal::data::text {
namespace {

using testing::expect_error;

const std::map<std::string, int64_t> kCounts = {{"the", 5}, {"cat", 2}, {"sat", 2},
                                                {"mat", 1}, {"a", 2},   {"on", 3}};

TEST(Vocabulary, SpecialsFirstThenDescendingCountTiesAlphabetical) {
  Vocabulary vocabulary = Vocabulary::build(kCounts);
  const std::vector<std::string> expected = {"<pad>", "<unk>", "<bos>", "<eos>", "the",
                                             "on",    "a",     "cat",   "sat",   "mat"};
  EXPECT_EQ(vocabulary.tokens(), expected);
  EXPECT_EQ(vocabulary.size(), 10);
  for (int64_t id = 0; id < vocabulary.size(); ++id) {
    EXPECT_EQ(vocabulary.id(vocabulary.token(id)), id);
  }
  EXPECT_EQ(vocabulary.count(4), 5);
  EXPECT_EQ(vocabulary.count(9), 1);
  EXPECT_EQ(vocabulary.count(0), 0);
  EXPECT_EQ(vocabulary.pad_id(), 0);
  EXPECT_EQ(vocabulary.unk_id(), 1);
  EXPECT_EQ(vocabulary.bos_id(), 2);
  EXPECT_EQ(vocabulary.eos_id(), 3);
  EXPECT_TRUE(vocabulary.is_special(3));
  EXPECT_FALSE(vocabulary.is_special(4));
  EXPECT_TRUE(vocabulary.contains("cat"));
  EXPECT_FALSE(vocabulary.contains("dog"));
  EXPECT_EQ(vocabulary.id("dog"), 1);
}

TEST(Vocabulary, MinFreqAndMaxSize) {
  Vocabulary frequent = Vocabulary::build(kCounts, {.min_freq = 2});
  EXPECT_FALSE(frequent.contains("mat"));
  EXPECT_EQ(frequent.size(), 9);
  // max_size counts the specials: 4 specials + the 3 most frequent words.
  Vocabulary small = Vocabulary::build(kCounts, {.max_size = 7});
  const std::vector<std::string> expected = {"<pad>", "<unk>", "<bos>", "<eos>", "the", "on", "a"};
  EXPECT_EQ(small.tokens(), expected);
  Vocabulary only_specials = Vocabulary::build(kCounts, {.max_size = 4});
  EXPECT_EQ(only_specials.size(), 4);
}

TEST(Vocabulary, CustomSpecialsAndNoUnknown) {
  Vocabulary vocabulary =
      Vocabulary::build(kCounts, {.specials = {"[PAD]"}, .unk_token = "", .pad_token = "[PAD]"});
  EXPECT_EQ(vocabulary.token(0), "[PAD]");
  EXPECT_EQ(vocabulary.token(1), "the");
  EXPECT_EQ(vocabulary.pad_id(), 0);
  EXPECT_FALSE(vocabulary.unk_id().has_value());
  EXPECT_FALSE(vocabulary.bos_id().has_value());
  expect_error<ValueError>([&] { vocabulary.id("xyz"); },
                           "unknown token 'xyz' and the vocabulary has no <unk>");
  // An unk_token missing from the specials is added after them.
  Vocabulary added = Vocabulary::build(kCounts, {.specials = {"<pad>"}, .unk_token = "<oov>"});
  EXPECT_EQ(added.token(1), "<oov>");
  EXPECT_EQ(added.id("xyz"), 1);
  // A token that is also a special is not listed twice.
  Vocabulary with_special_count = Vocabulary::build({{"<eos>", 7}, {"x", 1}});
  EXPECT_EQ(with_special_count.size(), 5);
  EXPECT_EQ(with_special_count.count(3), 7);
}

TEST(Vocabulary, FromTokenList) {
  Vocabulary vocabulary = Vocabulary::build(std::vector<std::string>{"b", "a", "b", "c", "b", "a"});
  EXPECT_EQ(vocabulary.token(4), "b");
  EXPECT_EQ(vocabulary.token(5), "a");
  EXPECT_EQ(vocabulary.token(6), "c");
  EXPECT_EQ(vocabulary.count(4), 3);
}

TEST(Vocabulary, JsonRoundTrip) {
  Vocabulary vocabulary = Vocabulary::build(kCounts, {.min_freq = 2, .unk_token = "<unk>"});
  Vocabulary again = Vocabulary::from_json(vocabulary.to_json());
  EXPECT_EQ(again.tokens(), vocabulary.tokens());
  for (int64_t id = 0; id < vocabulary.size(); ++id) {
    EXPECT_EQ(again.count(id), vocabulary.count(id));
    EXPECT_EQ(again.is_special(id), vocabulary.is_special(id));
  }
  EXPECT_EQ(again.unk_id(), vocabulary.unk_id());
  EXPECT_EQ(again.options().min_freq, 2);
  EXPECT_EQ(again.to_json(), vocabulary.to_json());
}

TEST(Vocabulary, BadInputs) {
  expect_error<ValueError>([] { Vocabulary::build(kCounts, {.min_freq = 0}); }, {"min_freq", "0"});
  expect_error<ValueError>([] { Vocabulary::build(kCounts, {.max_size = -1}); },
                           {"max_size", "-1"});
  expect_error<ValueError>([] { Vocabulary::build(kCounts, {.max_size = 3}); },
                           {"max_size 3", "4 specials"});
  expect_error<ValueError>(
      [] {
        Vocabulary::build(kCounts, {.specials = {"<pad>", "<pad>"}});
      },
      {"'<pad>'", "twice"});
  expect_error<ValueError>([] { Vocabulary::build(kCounts, {.specials = {""}}); }, "empty");
  expect_error<ValueError>([] { Vocabulary::build({{"a", -2}}); }, {"'a'", "-2"});
  Vocabulary vocabulary = Vocabulary::build(kCounts);
  expect_error<IndexError>([&] { vocabulary.token(10); }, {"id 10", "10 tokens"});
  expect_error<IndexError>([&] { vocabulary.token(-1); }, "id -1");
  expect_error<ValueError>([] { Vocabulary({"a", "a"}, {}, {.unk_token = ""}); }, {"'a'", "twice"});
  expect_error<ValueError>([] { Vocabulary({"a"}, {}, {}); }, {"unk_token", "'<unk>'"});
  expect_error<ValueError>([] { Vocabulary::build({{"\xff", 1}}).to_json(); }, "UTF-8");
  expect_error<SpecError>([] { Vocabulary::from_json("{"); }, "invalid JSON");
  expect_error<SpecError>([] { Vocabulary::from_json("[]"); }, "expected an object");
  std::string json = vocabulary.to_json();
  json.replace(json.find("\"the\""), 5, "17");
  expect_error<SpecError>([&] { Vocabulary::from_json(json); }, {"/tokens/4", "expected a string"});
}

}  // namespace
}  // namespace cajal::data::text

// word2vec (skip-gram with negative sampling): the per-pair update against one SGD step on the SGNS
// objective computed with autograd, planted structure (topic groups, an additive analogy),
// determinism for a seed, save/load round trips, transfer into nn::Embedding, and bad input.
#include "cajal/data/text/word2vec.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using data::text::Word2Vec;
using data::text::Word2VecOptions;
using testing::expect_error;

// prefix followed by the number ("x" 3 -> "x3"). (Appending, not operator+: GCC 12 reports a
// spurious -Wrestrict on "literal" + std::to_string(...).)
std::string named(std::string prefix, int64_t number) {
  prefix.append(std::to_string(number));
  return prefix;
}

// ---------------------------------------------------------------------------------------------
// The single-pair update is exactly one SGD step on the SGNS loss.

void check_update_against_autograd(const std::vector<int64_t>& negatives) {
  manual_seed(3);
  const int64_t vocab = 7, dim = 5;
  const int64_t center = 2, context = 4;
  const double learning_rate = 0.3;
  Tensor input = randn({vocab, dim});
  Tensor output = randn({vocab, dim}) * 0.5;
  Tensor v = input.to(Dtype::float64).requires_grad_(true);
  Tensor u = output.to(Dtype::float64).requires_grad_(true);
  Tensor center_vector = v[center];
  Tensor noise_rows = index_select(u, 0, from_vector(negatives));
  Tensor loss = -(log_sigmoid(dot(u[context], center_vector)) +
                  log_sigmoid(-matmul(noise_rows, center_vector)).sum());
  loss.backward();
  Tensor expected_input = v.detach() - learning_rate * v.grad();
  Tensor expected_output = u.detach() - learning_rate * u.grad();

  const double reported =
      data::text::sgns_update(input, output, center, context, negatives, learning_rate);
  EXPECT_NEAR(reported, loss.item(), 1e-5);
  EXPECT_TRUE(allclose(input.to(Dtype::float64), expected_input, 1e-5, 1e-6));
  EXPECT_TRUE(allclose(output.to(Dtype::float64), expected_output, 1e-5, 1e-6));
}

TEST(Word2VecUpdate, EqualsOneSgdStepOnTheObjective) { check_update_against_autograd({0, 1, 6}); }

TEST(Word2VecUpdate, RepeatedNoiseWordsAccumulateTheirGradient) {
  // A noise word drawn twice, and the context itself drawn as noise.
  check_update_against_autograd({1, 1, 4, 3});
}

TEST(Word2VecUpdate, ChecksShapesAndIds) {
  Tensor input = zeros({3, 2}), output = zeros({3, 2}), wrong = zeros({4, 2});
  expect_error<ShapeError>([&] { data::text::sgns_update(input, wrong, 0, 1, {2}, 0.1); },
                           {"sgns_update", "[3, 2]", "[4, 2]"});
  expect_error<IndexError>([&] { data::text::sgns_update(input, output, 0, 1, {5}, 0.1); },
                           {"sgns_update", "negative id 5", "[0, 3)"});
  expect_error<IndexError>([&] { data::text::sgns_update(input, output, -1, 1, {2}, 0.1); },
                           {"center id -1"});
}

// ---------------------------------------------------------------------------------------------
// A synthetic corpus: three topic groups of 8 words; a sentence uses words of one group only.

struct Corpus {
  std::vector<std::vector<int64_t>> sentences;
  std::vector<int64_t> counts;
  std::vector<std::string> words;
};

Corpus topic_corpus(int64_t sentences_count, uint64_t seed) {
  const int64_t groups = 3, per_group = 8;
  Corpus corpus;
  for (int64_t g = 0; g < groups; ++g) {
    for (int64_t w = 0; w < per_group; ++w) {
      corpus.words.push_back(named(named("g", g) + "w", w));
    }
  }
  corpus.counts.assign(groups * per_group, 0);
  Generator generator(seed);
  for (int64_t s = 0; s < sentences_count; ++s) {
    const int64_t g = generator.integer(0, groups);
    std::vector<int64_t> sentence;
    for (int64_t i = 0; i < 10; ++i) {
      const int64_t id = g * per_group + generator.integer(0, per_group);
      sentence.push_back(id);
      ++corpus.counts[id];
    }
    corpus.sentences.push_back(sentence);
  }
  return corpus;
}

int64_t group_of(int64_t id) { return id / 8; }

TEST(Word2Vec, NeighboursComeFromTheSameTopic) {
  Corpus corpus = topic_corpus(600, 11);
  Word2Vec model = Word2Vec::train(corpus.sentences, corpus.counts, corpus.words,
                                   {.embedding_dim = 16, .window = 3, .epochs = 5});
  EXPECT_EQ(model.embeddings().shape(), (Shape{24, 16}));
  EXPECT_EQ(model.embeddings().dtype(), Dtype::float32);
  for (int64_t id = 0; id < 24; ++id) {
    auto neighbours = model.nearest(corpus.words[id], 5);
    ASSERT_EQ(neighbours.size(), 5u);
    for (const auto& n : neighbours) {
      EXPECT_NE(n.id, id) << "the word itself is excluded";
      EXPECT_EQ(group_of(n.id), group_of(id)) << corpus.words[id] << " -> " << n.word;
      EXPECT_EQ(n.word, corpus.words[n.id]);
      EXPECT_LE(n.similarity, 1.0 + 1e-6);
    }
    for (size_t i = 1; i < neighbours.size(); ++i) {
      EXPECT_GE(neighbours[i - 1].similarity, neighbours[i].similarity);
    }
  }
}

TEST(Word2Vec, SubsamplingStillLearnsTheTopics) {
  Corpus corpus = topic_corpus(600, 12);
  // Every word has frequency ~1/24 >> sample: most occurrences are dropped, the structure stays.
  Word2Vec model =
      Word2Vec::train(corpus.sentences, corpus.counts, corpus.words,
                      {.embedding_dim = 16, .window = 3, .sample = 1e-3, .epochs = 10});
  for (int64_t id = 0; id < 24; ++id) {
    EXPECT_EQ(group_of(model.nearest(corpus.words[id], 1)[0].id), group_of(id));
  }
}

// Words w(a, r) for an attribute a in {x, y} and a role r in 0..4; each sentence holds w(a, r), a
// marker word of a and a marker word of r, with filler words. The vectors then add up:
// w(x, r) - w(x, s) + w(y, s) is nearest to w(y, r).
TEST(Word2Vec, AnalogyOnAPlantedAdditivePattern) {
  const int64_t roles = 5;
  std::vector<std::string> words;
  for (const char* a : {"x", "y"}) {
    for (int64_t r = 0; r < roles; ++r) words.push_back(named(a, r));
  }
  words.push_back("attribute_x");
  words.push_back("attribute_y");
  for (int64_t r = 0; r < roles; ++r) words.push_back(named("role", r));
  const int64_t fillers_start = static_cast<int64_t>(words.size());
  for (int64_t f = 0; f < 6; ++f) words.push_back(named("filler", f));
  std::vector<int64_t> counts(words.size(), 0);
  std::vector<std::vector<int64_t>> sentences;
  Generator generator(5);
  for (int64_t s = 0; s < 3000; ++s) {
    const int64_t a = generator.integer(0, 2), r = generator.integer(0, roles);
    std::vector<int64_t> sentence = {generator.integer(fillers_start, fillers_start + 6),
                                     2 * roles + a, a * roles + r, 2 * roles + 2 + r,
                                     generator.integer(fillers_start, fillers_start + 6)};
    if (generator.uniform() < 0.5) std::swap(sentence[1], sentence[3]);
    for (int64_t id : sentence) ++counts[id];
    sentences.push_back(sentence);
  }
  Word2Vec model = Word2Vec::train(sentences, counts, words,
                                   {.embedding_dim = 20, .window = 2, .sample = 0, .epochs = 5});
  int64_t correct = 0, total = 0;
  for (int64_t r = 0; r < roles; ++r) {
    for (int64_t s = 0; s < roles; ++s) {
      if (r == s) continue;
      // x_s : x_r = y_s : y_r
      auto answer = model.analogy(named("x", s), named("x", r), named("y", s), 3);
      ASSERT_EQ(answer.size(), 3u);
      for (const auto& n : answer) {
        EXPECT_NE(n.word, named("x", s));
        EXPECT_NE(n.word, named("x", r));
        EXPECT_NE(n.word, named("y", s));
      }
      correct += answer[0].word == named("y", r);
      ++total;
    }
  }
  EXPECT_GE(correct, total * 9 / 10) << correct << " of " << total << " analogies right";
}

TEST(Word2Vec, IsDeterministicForASeed) {
  Corpus corpus = topic_corpus(100, 13);
  Word2VecOptions options{.embedding_dim = 8, .window = 2, .epochs = 2, .seed = 7};
  Word2Vec first = Word2Vec::train(corpus.sentences, corpus.counts, corpus.words, options);
  Word2Vec second = Word2Vec::train(corpus.sentences, corpus.counts, corpus.words, options);
  EXPECT_TRUE(equal(first.embeddings(), second.embeddings()));
  // The global generator plays no part.
  manual_seed(99);
  randn({10});
  Word2Vec third = Word2Vec::train(corpus.sentences, corpus.counts, corpus.words, options);
  EXPECT_TRUE(equal(first.embeddings(), third.embeddings()));
  options.seed = 8;
  Word2Vec other = Word2Vec::train(corpus.sentences, corpus.counts, corpus.words, options);
  EXPECT_FALSE(equal(first.embeddings(), other.embeddings()));
}

TEST(Word2Vec, SavesAndLoads) {
  Corpus corpus = topic_corpus(50, 14);
  corpus.words[3] = "caf\xc3\xa9 \"quoted\"";  // non-ASCII and JSON-escaped text survives
  Word2Vec model = Word2Vec::train(corpus.sentences, corpus.counts, corpus.words,
                                   {.embedding_dim = 6, .epochs = 1});
  const auto path = std::filesystem::temp_directory_path() / "cajal_word2vec_test.safetensors";
  model.save(path);
  Word2Vec loaded = Word2Vec::load(path);
  EXPECT_TRUE(equal(loaded.embeddings(), model.embeddings()));
  EXPECT_EQ(loaded.words(), model.words());
  EXPECT_EQ(loaded.id(corpus.words[3]), 3);
  auto a = model.nearest(corpus.words[0], 4), b = loaded.nearest(corpus.words[0], 4);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].similarity, b[i].similarity);
  }
  // A truncated file and a foreign file are IOErrors naming the file.
  {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 3);
  }
  expect_error<IOError>([&] { Word2Vec::load(path); },
                        {"Word2Vec::load", path.string(), "data bytes"});
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "not a safetensors file";
  expect_error<IOError>([&] { Word2Vec::load(path); }, {path.string()});
  std::filesystem::remove(path);
  expect_error<IOError>([&] { Word2Vec::load(path); }, {"cannot open"});
}

TEST(Word2Vec, TransfersIntoAnEmbedding) {
  Corpus corpus = topic_corpus(50, 15);
  Word2Vec model = Word2Vec::train(corpus.sentences, corpus.counts, corpus.words,
                                   {.embedding_dim = 6, .epochs = 1});
  nn::Embedding frozen = model.to_embedding();
  EXPECT_FALSE(frozen.weight.requires_grad());
  Tensor looked_up = frozen(tensor({3, 5}, {.dtype = Dtype::int64}));
  EXPECT_TRUE(equal(looked_up[0], model.embeddings()[3]));
  EXPECT_TRUE(equal(looked_up[1], model.vector(corpus.words[5])));
  EXPECT_TRUE(model.to_embedding(false).weight.requires_grad());
}

TEST(Word2Vec, NearestToAVector) {
  Tensor table = tensor({{1, 0}, {0, 1}, {1, 1}, {-1, 0}});
  Word2Vec model(table, {"east", "north", "northeast", "west"});
  auto n = model.nearest(tensor({2, 0.1}, {.dtype = Dtype::float64}), 2);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].word, "east");
  EXPECT_EQ(n[1].word, "northeast");
  n = model.nearest(tensor({2, 0.1}), 10, {0});
  ASSERT_EQ(n.size(), 3u) << "k larger than what is left gives everything";
  EXPECT_EQ(n[0].word, "northeast");
  EXPECT_EQ(n[2].word, "west");
  EXPECT_NEAR(n[2].similarity, -2 / std::sqrt(4.01), 1e-6);
  // east : west = north : ?  (west - east + north = (-2, 1)): nothing left but northeast.
  EXPECT_EQ(model.analogy("east", "west", "north", 1)[0].word, "northeast");
  expect_error<ShapeError>([&] { model.nearest(zeros({3}), 1); }, {"nearest", "[2]", "[3]"});
}

TEST(Word2Vec, RejectsBadInput) {
  Corpus corpus = topic_corpus(20, 16);
  auto train = [&](std::vector<std::vector<int64_t>> sentences, std::vector<int64_t> counts,
                   std::vector<std::string> words, Word2VecOptions options = {.embedding_dim = 4}) {
    Word2Vec::train(sentences, counts, words, options);
  };
  expect_error<ValueError>(
      [&] {
        train({{0, 1}, {2, 24}}, corpus.counts, corpus.words);
      },
      {"Word2Vec", "sentence 1, position 1", "id 24", "[0, 24)"});
  expect_error<ValueError>([&] { train({{0, -1}}, corpus.counts, corpus.words); }, {"id -1"});
  std::vector<int64_t> short_counts(corpus.counts.begin(), corpus.counts.end() - 1);
  expect_error<ValueError>([&] { train(corpus.sentences, short_counts, corpus.words); },
                           {"counts has 23 entries", "words has 24"});
  expect_error<ValueError>([&] { train({}, corpus.counts, corpus.words); }, {"corpus is empty"});
  expect_error<ValueError>(
      [&] {
        train({{}, {}}, corpus.counts, corpus.words);
      },
      {"corpus is empty"});
  expect_error<ValueError>([&] { train({}, {}, {}); }, {"vocabulary", "empty"});
  std::vector<int64_t> negative_counts = corpus.counts;
  negative_counts[2] = -4;
  expect_error<ValueError>([&] { train(corpus.sentences, negative_counts, corpus.words); },
                           {"counts[2]", "g0w2", "-4"});
  expect_error<ValueError>(
      [&] { train(corpus.sentences, std::vector<int64_t>(24, 0), corpus.words); }, {"sum to 0"});
  std::vector<std::string> duplicated = corpus.words;
  duplicated[5] = duplicated[1];
  expect_error<ValueError>([&] { train(corpus.sentences, corpus.counts, duplicated); },
                           {"g0w1", "twice"});
  expect_error<ValueError>(
      [&] { train(corpus.sentences, corpus.counts, corpus.words, {.embedding_dim = 0}); },
      {"embedding_dim", "0"});
  expect_error<ValueError>(
      [&] { train(corpus.sentences, corpus.counts, corpus.words, {.window = -2}); },
      {"window", "-2"});
  expect_error<ValueError>(
      [&] { train(corpus.sentences, corpus.counts, corpus.words, {.negative = 0}); },
      {"negative", "0"});
  expect_error<ValueError>(
      [&] { train(corpus.sentences, corpus.counts, corpus.words, {.sample = -1}); },
      {"sample", "-1"});
  expect_error<ValueError>(
      [&] { train(corpus.sentences, corpus.counts, corpus.words, {.epochs = 0}); },
      {"epochs", "0"});
  expect_error<ValueError>(
      [&] { train(corpus.sentences, corpus.counts, corpus.words, {.learning_rate = 0}); },
      {"learning_rate", "0"});

  Word2Vec model = Word2Vec::train(corpus.sentences, corpus.counts, corpus.words,
                                   {.embedding_dim = 4, .epochs = 1});
  expect_error<ValueError>([&] { model.nearest("g0w0", 0); }, {"k must be >= 1", "0"});
  expect_error<ValueError>([&] { model.nearest(zeros({4}), -3); }, {"k must be >= 1", "-3"});
  expect_error<ValueError>([&] { model.nearest("zebra"); }, {"\"zebra\"", "not in the vocabulary"});
  expect_error<ValueError>([&] { model.id("zebra"); }, {"zebra"});
  expect_error<ValueError>([&] { model.analogy("g0w0", "zebra", "g0w1"); }, {"zebra"});
  expect_error<ValueError>([&] { model.analogy("g0w0", "g0w2", "g0w1", 0); }, {"k must be >= 1"});
  expect_error<ShapeError>([&] { Word2Vec(zeros({3, 2}), {"a", "b"}); }, {"3 rows", "2 words"});
}

}  // namespace
}  // namespace cajal

// word2vec (skip-gram with negative sampling) on the fortune cookies of Debian's `fortunes`
// package, then the nearest neighbours of a few words and some analogies.
//
//   build/word2vec_fortunes [--epochs 25] [--dim 100] [--seed 1] [word ...]
//
// The corpus is small for word2vec (about 450,000 words, where the original used billions), so
// expect neighbours that share topics and contexts rather than crisp synonyms.
#include <cstdio>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "fortunes_corpus.h"

using namespace cajal;
namespace text = cajal::data::text;

int main(int argc, char** argv) try {
  text::Word2VecOptions options{.embedding_dim = 100, .epochs = 25};
  std::vector<std::string> queries;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) throw ValueError("word2vec_fortunes: " + key + " needs a value");
      return std::string(argv[++i]);
    };
    if (key == "--epochs") {
      options.epochs = std::stoll(value());
    } else if (key == "--dim") {
      options.embedding_dim = std::stoll(value());
    } else if (key == "--seed") {
      options.seed = std::stoull(value());
    } else if (key.starts_with("--")) {
      throw ValueError("word2vec_fortunes: unknown option " + key +
                       " (options: --epochs, --dim, --seed, then words)");
    } else {
      queries.push_back(key);
    }
  }
  if (queries.empty()) {
    queries = {"computer", "money", "love",    "war",  "god",
               "woman",    "king",  "program", "beer", "monday"};
  }

  const std::vector<std::string> entries = examples::load_fortunes();
  // Words seen at least 5 times, lower-cased, punctuation split off (and then dropped below).
  text::WordTokenizer tokenizer =
      text::WordTokenizer::train(entries, {.vocabulary = {.min_freq = 5, .specials = {"<unk>"}}});
  const text::Vocabulary& vocabulary = tokenizer.vocabulary();
  const int64_t unk = *vocabulary.unk_id();

  std::vector<std::vector<int64_t>> sentences;
  std::vector<int64_t> counts(vocabulary.size(), 0);
  int64_t words = 0;
  for (const std::string& entry : entries) {
    std::vector<int64_t> sentence;
    for (int64_t id : tokenizer.encode(entry)) {
      const std::string& token = vocabulary.token(id);
      // Rare words and punctuation carry no context worth learning here.
      if (id == unk || !std::isalnum(static_cast<unsigned char>(token[0]))) continue;
      sentence.push_back(id);
      ++counts[id];
    }
    words += static_cast<int64_t>(sentence.size());
    if (sentence.size() > 1) sentences.push_back(std::move(sentence));
  }
  std::vector<std::string> names;
  for (int64_t id = 0; id < vocabulary.size(); ++id) names.push_back(vocabulary.token(id));
  std::printf("corpus: %lld words in %zu fortunes, vocabulary %lld (min count 5)\n",
              static_cast<long long>(words), sentences.size(),
              static_cast<long long>(vocabulary.size()));

  text::Word2Vec model = text::Word2Vec::train(sentences, counts, names, options);

  for (const std::string& word : queries) {
    if (!vocabulary.contains(word) || counts[vocabulary.id(word)] == 0) {
      std::printf("\n%s: not in the vocabulary\n", word.c_str());
      continue;
    }
    std::printf("\n%s:", word.c_str());
    for (const text::Neighbour& n : model.nearest(word, 8)) {
      std::printf(" %s (%.2f)", n.word.c_str(), n.similarity);
    }
    std::printf("\n");
  }
  const std::vector<std::vector<std::string>> analogies = {
      {"man", "woman", "king"}, {"he", "she", "his"}, {"good", "better", "bad"}};
  std::printf("\nanalogies (a is to b as c is to ?):\n");
  for (const auto& a : analogies) {
    bool known = true;
    for (const std::string& w : a) known = known && vocabulary.contains(w);
    if (!known) continue;
    std::printf("  %s : %s :: %s :", a[0].c_str(), a[1].c_str(), a[2].c_str());
    for (const text::Neighbour& n : model.analogy(a[0], a[1], a[2], 3)) {
      std::printf(" %s (%.2f)", n.word.c_str(), n.similarity);
    }
    std::printf("\n");
  }
  return 0;
} catch (const std::exception& error) {
  std::fprintf(stderr, "error: %s\n", error.what());
  return 1;
}

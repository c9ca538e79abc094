#pragma once
// word2vec: word embeddings learned from a corpus by skip-gram with negative sampling (SGNS),
// after Mikolov, Sutskever, Chen, Corrado and Dean (2013), "Distributed representations of words
// and phrases and their compositionality". Each word w has an input vector v_w (the embedding) and
// an output vector u_w; for every (center c, context o) pair within a window, and k words n_1..n_k
// drawn from the noise distribution counts^0.75, one SGD step maximizes
//     log sigma(u_o . v_c) + sum_i log sigma(-u_{n_i} . v_c).
//
//   auto model = data::text::Word2Vec::train(sentences, counts, words, {.embedding_dim = 100});
//   for (auto& n : model.nearest("king", 5)) std::cout << n.word << " " << n.similarity << "\n";
//   auto answer = model.analogy("man", "king", "woman");       // man : king = woman : ?
//   nn::Embedding embed = model.to_embedding();                // transfer into a model (frozen)
//
// Training is single-threaded plain loops over float buffers (SGD on one pair at a time: tensor
// ops per pair would cost far more than the arithmetic) and deterministic for a seed: it draws
// from its own generator, never the global one.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cajal/core/tensor.h"
#include "cajal/nn/embedding.h"

namespace cajal::data::text {

struct Word2VecOptions {
  int64_t embedding_dim = 100;  // D, the size of each vector (>= 1)
  int64_t window = 5;    // largest distance between center and context; each center draws its
                         // window size b ~ U{1, ..., window} (nearer words count more often)
  int64_t negative = 5;  // noise words per (center, context) pair (>= 1)
  // Subsampling of frequent words: a word of frequency f = count / total is kept with
  // probability (sqrt(f / sample) + 1) * sample / f (word2vec.c's formula); 0 turns it off.
  double sample = 1e-3;
  int64_t epochs = 5;                         // passes over the corpus (>= 1)
  double learning_rate = 0.025;               // decays linearly over all words of all epochs ...
  double min_learning_rate = 0.0001 * 0.025;  // ... but never below this
  double noise_power = 0.75;  // noise distribution proportional to counts^noise_power
  uint64_t seed = 1;
};

struct Neighbour {
  std::string word;
  int64_t id = -1;
  double similarity = 0;  // cosine similarity, in [-1, 1]
};

class Word2Vec {
 public:
  // sentences: token ids in [0, words.size()); counts[id]: the word's corpus frequency (>= 0),
  // for subsampling and the noise distribution; words[id]: its text (distinct). Windows never
  // cross sentence boundaries. ValueError for an id out of range (naming sentence and position),
  // counts and words of different sizes, duplicate words, negative counts, counts summing to 0,
  // a corpus without a single token, or a bad option (naming it and its value).
  static Word2Vec train(const std::vector<std::vector<int64_t>>& sentences,
                        const std::vector<int64_t>& counts, std::vector<std::string> words,
                        const Word2VecOptions& options = {});

  // The input vectors, float32 [V, D] (row id = word id).
  const Tensor& embeddings() const { return embeddings_; }
  const std::vector<std::string>& words() const { return words_; }
  int64_t vocab_size() const { return static_cast<int64_t>(words_.size()); }
  int64_t embedding_dim() const { return embeddings_.size(1); }

  // The id of a word; ValueError naming the word when it is not in the vocabulary.
  int64_t id(std::string_view word) const;
  bool contains(std::string_view word) const;
  // The word's input vector, float32 [D] (a copy).
  Tensor vector(std::string_view word) const;

  // The k words most similar (cosine) to `word`, best first, excluding the word itself. Fewer
  // when the vocabulary is smaller. ValueError for k <= 0 or an unknown word.
  std::vector<Neighbour> nearest(std::string_view word, int64_t k = 10) const;
  // vector: [D] (any floating dtype). The k rows most similar to it, best first, skipping the ids
  // in `exclude`. A zero vector has similarity 0 with everything.
  std::vector<Neighbour> nearest(const Tensor& vector, int64_t k = 10,
                                 const std::vector<int64_t>& exclude = {}) const;
  // a is to b as c is to ?: the words nearest to unit(b) - unit(a) + unit(c) (3CosAdd, Mikolov
  // et al. 2013, "Linguistic regularities in continuous space word representations"), excluding
  // a, b and c.
  std::vector<Neighbour> analogy(std::string_view a, std::string_view b, std::string_view c,
                                 int64_t k = 5) const;

  // A safetensors file: tensor "embeddings" (F32 [V, D]) and metadata "format" = "cajal.word2vec"
  // and "words" (a JSON array of strings), written atomically by data::save_safetensors;
  // data::load_safetensors and PyTorch's safetensors read it as any other.
  void save(const std::filesystem::path& path) const;
  // IOError naming the file for anything malformed (header, dtype, shape, sizes, words).
  static Word2Vec load(const std::filesystem::path& path);

  // An Embedding holding a copy of the vectors ([V, D]); frozen (no grad) unless freeze is false.
  nn::Embedding to_embedding(bool freeze = true) const;

  // From existing vectors ([V, D] floating point, copied to float32) and their words.
  Word2Vec(Tensor embeddings, std::vector<std::string> words);

 private:
  Tensor embeddings_;        // float32 [V, D]
  std::vector<float> unit_;  // row-normalized copy for cosine similarity (zero rows stay 0)
  std::vector<std::string> words_;
  std::unordered_map<std::string, int64_t> index_;
};

// One SGD step of skip-gram with negative sampling for the pair (center, context) with the given
// noise words, on row-major float buffers input [V, D] (v) and output [V, D] (u):
//     loss = -log sigma(u_context . v_center) - sum_i log sigma(-u_negatives[i] . v_center)
// and every touched row moves by -learning_rate * d loss / d row, all gradients taken at the
// values before the step (so a repeated noise word accumulates its gradient, as exact SGD does).
// Returns the loss before the step. Ids must lie in [0, V) (not checked: this is the hot loop).
double sgns_update(float* input, float* output, int64_t dim, int64_t center, int64_t context,
                   std::span<const int64_t> negatives, float learning_rate);

// The same on float32 tensors [V, D] (contiguous), updated in place; checks shapes and ids
// (ShapeError / IndexError). For tests and experiments.
double sgns_update(Tensor& input, Tensor& output, int64_t center, int64_t context,
                   const std::vector<int64_t>& negatives, double learning_rate);

}  // namespace cajal::data::text

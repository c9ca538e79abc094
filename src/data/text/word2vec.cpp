#include "cajal/data/text/word2vec.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>

#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/core/random.h"
#include "cajal/data/safetensors.h"

namespace cajal::data::text {
namespace {

// Eight independent sums so the compiler can vectorize without reassociating (no -ffast-math).
float dot(const float* a, const float* b, int64_t n) {
  float sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) sums[j] += a[i + j] * b[i + j];
  }
  float total =
      ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]));
  for (; i < n; ++i) total += a[i] * b[i];
  return total;
}

void axpy(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// -log sigma(x), stable for large |x|.
double softplus_negative(double x) {
  return x > 0 ? std::log1p(std::exp(-x)) : -x + std::log1p(std::exp(x));
}

// Walker's alias method: O(1) draws from a discrete distribution (Vose's construction).
class AliasSampler {
 public:
  explicit AliasSampler(const std::vector<double>& weights) {
    const int64_t n = static_cast<int64_t>(weights.size());
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    probability_.assign(n, 0.0);
    alias_.assign(n, 0);
    std::vector<double> scaled(n);
    std::vector<int64_t> small, large;
    for (int64_t i = 0; i < n; ++i) {
      scaled[i] = weights[i] * static_cast<double>(n) / total;
      (scaled[i] < 1.0 ? small : large).push_back(i);
    }
    while (!small.empty() && !large.empty()) {
      const int64_t s = small.back();
      small.pop_back();
      const int64_t l = large.back();
      probability_[s] = scaled[s];
      alias_[s] = l;
      scaled[l] = (scaled[l] + scaled[s]) - 1.0;
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    for (int64_t i : large) probability_[i] = 1.0;
    for (int64_t i : small) probability_[i] = 1.0;  // rounding leftovers
  }

  int64_t draw(Generator& generator) const {
    const double u = generator.uniform() * static_cast<double>(probability_.size());
    int64_t column = static_cast<int64_t>(u);
    if (column >= static_cast<int64_t>(probability_.size())) column = probability_.size() - 1;
    return (u - static_cast<double>(column)) < probability_[column] ? column : alias_[column];
  }

 private:
  std::vector<double> probability_;
  std::vector<int64_t> alias_;
};

void validate(const Word2VecOptions& o) {
  auto fail = [](const std::string& what) { throw ValueError("Word2Vec: " + what); };
  if (o.embedding_dim < 1)
    fail("embedding_dim must be >= 1, got " + std::to_string(o.embedding_dim));
  if (o.window < 1) fail("window must be >= 1, got " + std::to_string(o.window));
  if (o.negative < 1) fail("negative must be >= 1, got " + std::to_string(o.negative));
  if (!(o.sample >= 0) || !std::isfinite(o.sample))
    fail("sample must be >= 0, got " + std::to_string(o.sample));
  if (o.epochs < 1) fail("epochs must be >= 1, got " + std::to_string(o.epochs));
  if (!(o.learning_rate > 0) || !std::isfinite(o.learning_rate)) {
    fail("learning_rate must be > 0, got " + std::to_string(o.learning_rate));
  }
  if (!(o.min_learning_rate >= 0) || o.min_learning_rate > o.learning_rate) {
    fail("min_learning_rate must be in [0, learning_rate], got " +
         std::to_string(o.min_learning_rate));
  }
  if (!std::isfinite(o.noise_power))
    fail("noise_power must be finite, got " + std::to_string(o.noise_power));
}

std::vector<float> unit_rows(const Tensor& embeddings) {
  const int64_t rows = embeddings.size(0), dim = embeddings.size(1);
  const float* data = embeddings.data_ptr<float>();
  std::vector<float> unit(data, data + rows * dim);
  for (int64_t r = 0; r < rows; ++r) {
    float* row = unit.data() + r * dim;
    const double norm = std::sqrt(static_cast<double>(dot(row, row, dim)));
    if (norm > 0) {
      for (int64_t i = 0; i < dim; ++i) row[i] = static_cast<float>(row[i] / norm);
    }
  }
  return unit;
}

}  // namespace

double sgns_update(float* input, float* output, int64_t dim, int64_t center, int64_t context,
                   std::span<const int64_t> negatives, float learning_rate) {
  float* v = input + center * dim;
  // d loss / d score for each output row, all from the values before the step.
  const size_t count = negatives.size() + 1;
  float coefficients_small[16];
  std::vector<float> coefficients_large;
  float* coefficients = coefficients_small;
  if (count > 16) {
    coefficients_large.resize(count);
    coefficients = coefficients_large.data();
  }
  double loss = 0;
  for (size_t i = 0; i < count; ++i) {
    const int64_t row = i == 0 ? context : negatives[i - 1];
    const double score = dot(output + row * dim, v, dim);
    // positive: loss -log sigma(s), d/ds = sigma(s) - 1; noise: -log sigma(-s), d/ds = sigma(s).
    const double label = i == 0 ? 1.0 : 0.0;
    loss += i == 0 ? softplus_negative(score) : softplus_negative(-score);
    coefficients[i] = static_cast<float>(-learning_rate * (sigmoid(score) - label));
  }
  // Input step: v += sum_i c_i u_i (old u); then u_i += c_i v (old v): keep old v aside.
  float v_old_small[256];
  std::vector<float> v_old_large;
  float* v_old = v_old_small;
  if (dim > 256) {
    v_old_large.resize(dim);
    v_old = v_old_large.data();
  }
  std::memcpy(v_old, v, sizeof(float) * dim);
  for (size_t i = 0; i < count; ++i) {
    const int64_t row = i == 0 ? context : negatives[i - 1];
    axpy(coefficients[i], output + row * dim, v, dim);
  }
  for (size_t i = 0; i < count; ++i) {
    const int64_t row = i == 0 ? context : negatives[i - 1];
    axpy(coefficients[i], v_old, output + row * dim, dim);
  }
  // When the center row's vector v is also an output row in this call it cannot be: input and
  // output are different buffers, so the order above is exact.
  return loss;
}

double sgns_update(Tensor& input, Tensor& output, int64_t center, int64_t context,
                   const std::vector<int64_t>& negatives, double learning_rate) {
  if (input.dtype() != Dtype::float32 || output.dtype() != Dtype::float32 || input.dim() != 2 ||
      input.shape() != output.shape() || !input.is_contiguous() || !output.is_contiguous()) {
    throw ShapeError(
        "sgns_update: input and output must be contiguous float32 [V, D] of the same "
        "shape, got " +
        shape_string(input.shape()) + " and " + shape_string(output.shape()));
  }
  const int64_t rows = input.size(0);
  auto check = [&](int64_t id, const char* what) {
    if (id < 0 || id >= rows) {
      throw IndexError(std::string("sgns_update: ") + what + " id " + std::to_string(id) +
                       " is out of range [0, " + std::to_string(rows) + ")");
    }
  };
  check(center, "center");
  check(context, "context");
  for (int64_t n : negatives) check(n, "negative");
  return sgns_update(input.data_ptr<float>(), output.data_ptr<float>(), input.size(1), center,
                     context, negatives, static_cast<float>(learning_rate));
}

Word2Vec::Word2Vec(Tensor embeddings, std::vector<std::string> words) : words_(std::move(words)) {
  if (!embeddings.defined() || embeddings.dim() != 2 || !embeddings.is_floating_point()) {
    throw ShapeError("Word2Vec: embeddings must be a floating point [V, D] tensor, got " +
                     (embeddings.defined() ? shape_string(embeddings.shape()) : "undefined"));
  }
  if (embeddings.size(0) != static_cast<int64_t>(words_.size())) {
    throw ShapeError("Word2Vec: embeddings have " + std::to_string(embeddings.size(0)) +
                     " rows but there are " + std::to_string(words_.size()) + " words");
  }
  if (words_.empty() || embeddings.size(1) < 1) {
    throw ValueError("Word2Vec: the vocabulary and the vectors must not be empty, got " +
                     shape_string(embeddings.shape()));
  }
  for (size_t i = 0; i < words_.size(); ++i) {
    if (!index_.emplace(words_[i], static_cast<int64_t>(i)).second) {
      throw ValueError("Word2Vec: word \"" + words_[i] + "\" appears twice (ids " +
                       std::to_string(index_[words_[i]]) + " and " + std::to_string(i) + ")");
    }
  }
  embeddings_ = embeddings.detach().to(Dtype::float32).contiguous().clone();
  unit_ = unit_rows(embeddings_);
}

Word2Vec Word2Vec::train(const std::vector<std::vector<int64_t>>& sentences,
                         const std::vector<int64_t>& counts, std::vector<std::string> words,
                         const Word2VecOptions& options) {
  validate(options);
  const int64_t vocab = static_cast<int64_t>(words.size());
  if (static_cast<int64_t>(counts.size()) != vocab) {
    throw ValueError("Word2Vec: counts has " + std::to_string(counts.size()) +
                     " entries but words has " + std::to_string(vocab));
  }
  if (vocab == 0) throw ValueError("Word2Vec: the vocabulary (words) is empty");
  double total_count = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    if (counts[i] < 0) {
      throw ValueError("Word2Vec: counts[" + std::to_string(i) + "] (\"" + words[i] +
                       "\") is negative: " + std::to_string(counts[i]));
    }
    total_count += static_cast<double>(counts[i]);
  }
  if (total_count <= 0) throw ValueError("Word2Vec: counts sum to 0: no noise distribution");
  int64_t corpus_words = 0;
  for (size_t s = 0; s < sentences.size(); ++s) {
    for (size_t p = 0; p < sentences[s].size(); ++p) {
      const int64_t id = sentences[s][p];
      if (id < 0 || id >= vocab) {
        throw ValueError("Word2Vec: sentence " + std::to_string(s) + ", position " +
                         std::to_string(p) + ": id " + std::to_string(id) +
                         " is out of range [0, " + std::to_string(vocab) + ")");
      }
    }
    corpus_words += static_cast<int64_t>(sentences[s].size());
  }
  if (corpus_words == 0) throw ValueError("Word2Vec: the corpus is empty (no tokens)");

  // The vectors are built in their own Word2Vec (duplicate words are rejected there, first).
  const int64_t dim = options.embedding_dim;
  Word2Vec model(zeros({vocab, dim}), std::move(words));
  Generator generator(options.seed);
  std::vector<float> input(vocab * dim), output(vocab * dim, 0.0f);
  // word2vec.c's initialization: input U(-0.5/D, 0.5/D), output 0.
  for (float& x : input)
    x = static_cast<float>((generator.uniform() - 0.5) / static_cast<double>(dim));

  std::vector<double> noise_weights(vocab);
  for (int64_t i = 0; i < vocab; ++i) {
    noise_weights[i] =
        counts[i] > 0 ? std::pow(static_cast<double>(counts[i]), options.noise_power) : 0.0;
  }
  const AliasSampler noise(noise_weights);
  std::vector<double> keep(vocab, 1.0);
  if (options.sample > 0) {
    const double threshold = options.sample * total_count;
    for (int64_t i = 0; i < vocab; ++i) {
      if (counts[i] > 0) {
        const double f = static_cast<double>(counts[i]);
        keep[i] = std::min(1.0, (std::sqrt(f / threshold) + 1.0) * threshold / f);
      }
    }
  }

  const double total_words =
      static_cast<double>(corpus_words) * static_cast<double>(options.epochs);
  double processed = 0;
  std::vector<int64_t> kept, negatives(options.negative);
  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    for (const auto& sentence : sentences) {
      kept.clear();
      for (int64_t id : sentence) {
        if (keep[id] >= 1.0 || generator.uniform() < keep[id]) kept.push_back(id);
      }
      const int64_t length = static_cast<int64_t>(kept.size());
      for (int64_t position = 0; position < length; ++position) {
        const double rate =
            std::max(options.min_learning_rate,
                     options.learning_rate * (1.0 - processed / (total_words + 1.0)));
        const int64_t reach = generator.integer(1, options.window + 1);
        const int64_t center = kept[position];
        for (int64_t other = std::max<int64_t>(0, position - reach);
             other <= std::min(length - 1, position + reach); ++other) {
          if (other == position) continue;
          for (int64_t& n : negatives) n = noise.draw(generator);
          sgns_update(input.data(), output.data(), dim, center, kept[other], negatives,
                      static_cast<float>(rate));
        }
        processed += 1.0;
      }
      // Words dropped by subsampling still count towards the schedule (as in word2vec.c).
      processed += static_cast<double>(sentence.size() - kept.size());
    }
  }
  std::memcpy(model.embeddings_.data_ptr<float>(), input.data(), sizeof(float) * input.size());
  model.unit_ = unit_rows(model.embeddings_);
  return model;
}

bool Word2Vec::contains(std::string_view word) const {
  return index_.find(std::string(word)) != index_.end();
}

int64_t Word2Vec::id(std::string_view word) const {
  auto found = index_.find(std::string(word));
  if (found == index_.end()) {
    throw ValueError("Word2Vec: word \"" + std::string(word) + "\" is not in the vocabulary");
  }
  return found->second;
}

Tensor Word2Vec::vector(std::string_view word) const { return embeddings_[id(word)].clone(); }

std::vector<Neighbour> Word2Vec::nearest(std::string_view word, int64_t k) const {
  if (k <= 0) throw ValueError("Word2Vec::nearest: k must be >= 1, got " + std::to_string(k));
  const int64_t i = id(word);
  return nearest(embeddings_[i], k, {i});
}

std::vector<Neighbour> Word2Vec::nearest(const Tensor& vector, int64_t k,
                                         const std::vector<int64_t>& exclude) const {
  if (k <= 0) throw ValueError("Word2Vec::nearest: k must be >= 1, got " + std::to_string(k));
  const int64_t dim = embedding_dim(), rows = vocab_size();
  if (!vector.defined() || !vector.is_floating_point() || vector.dim() != 1 ||
      vector.size(0) != dim) {
    throw ShapeError("Word2Vec::nearest: vector must be floating point [" + std::to_string(dim) +
                     "], got " + (vector.defined() ? shape_string(vector.shape()) : "undefined"));
  }
  Tensor query_tensor = vector.detach().to(Dtype::float32).contiguous();
  std::vector<float> query(query_tensor.data_ptr<float>(), query_tensor.data_ptr<float>() + dim);
  const double norm = std::sqrt(static_cast<double>(dot(query.data(), query.data(), dim)));
  std::vector<char> excluded(rows, 0);
  for (int64_t e : exclude) {
    if (e >= 0 && e < rows) excluded[e] = 1;
  }
  std::vector<std::pair<double, int64_t>> scored;
  scored.reserve(rows);
  for (int64_t r = 0; r < rows; ++r) {
    if (excluded[r]) continue;
    const double similarity =
        norm > 0 ? dot(unit_.data() + r * dim, query.data(), dim) / norm : 0.0;
    scored.emplace_back(similarity, r);
  }
  const int64_t take = std::min<int64_t>(k, static_cast<int64_t>(scored.size()));
  // Ties go to the smaller id, so results do not depend on the sort's implementation.
  std::partial_sort(scored.begin(), scored.begin() + take, scored.end(),
                    [](const auto& a, const auto& b) {
                      return a.first != b.first ? a.first > b.first : a.second < b.second;
                    });
  std::vector<Neighbour> result;
  for (int64_t i = 0; i < take; ++i) {
    result.push_back({words_[scored[i].second], scored[i].second, scored[i].first});
  }
  return result;
}

std::vector<Neighbour> Word2Vec::analogy(std::string_view a, std::string_view b, std::string_view c,
                                         int64_t k) const {
  if (k <= 0) throw ValueError("Word2Vec::analogy: k must be >= 1, got " + std::to_string(k));
  const int64_t ia = id(a), ib = id(b), ic = id(c);
  const int64_t dim = embedding_dim();
  std::vector<float> target(dim);
  for (int64_t i = 0; i < dim; ++i) {
    target[i] = unit_[ib * dim + i] - unit_[ia * dim + i] + unit_[ic * dim + i];
  }
  return nearest(from_vector(target), k, {ia, ib, ic});
}

void Word2Vec::save(const std::filesystem::path& path) const {
  std::string words;
  try {
    words = nlohmann::json(words_).dump();
  } catch (const nlohmann::json::exception&) {
    throw ValueError("Word2Vec::save: a word is not valid UTF-8");
  }
  save_safetensors(path, {{"embeddings", embeddings_}},
                   {{"format", "cajal.word2vec"}, {"words", words}});
}

Word2Vec Word2Vec::load(const std::filesystem::path& path) {
  const std::string name = path.string();
  auto fail = [&](const std::string& what) -> void {
    throw IOError("Word2Vec::load: " + name + ": " + what);
  };
  if (!std::ifstream(path, std::ios::binary)) fail("cannot open the file");
  SafetensorsFile file;
  try {
    file = load_safetensors(path);
  } catch (const IOError& error) {
    fail(std::string("its header and data bytes are not a valid safetensors file (") +
         error.what() + ")");
  }
  const Metadata& metadata = file.metadata;
  const auto format = metadata.find("format");
  const auto words_entry = metadata.find("words");
  if (format == metadata.end() || format->second != "cajal.word2vec" ||
      words_entry == metadata.end()) {
    fail("not a cajal word2vec file (metadata \"format\" and \"words\" missing)");
  }
  nlohmann::json words_json = nlohmann::json::parse(words_entry->second, nullptr, false);
  if (words_json.is_discarded() || !words_json.is_array()) {
    fail("metadata \"words\" is not a JSON array");
  }
  std::vector<std::string> words;
  for (const auto& w : words_json) {
    if (!w.is_string()) fail("metadata \"words\" holds a non-string");
    words.push_back(w.get<std::string>());
  }
  const Tensor* table = file.tensors.find("embeddings");
  if (table == nullptr || file.tensors.size() != 1) fail("expected the one tensor \"embeddings\"");
  if (table->dtype() != Dtype::float32) fail("\"embeddings\" must have dtype F32");
  if (table->dim() != 2 || table->size(0) == 0 || table->size(1) == 0) {
    fail("\"embeddings\" must have a non-empty 2-D shape, got " + shape_string(table->shape()));
  }
  if (table->size(0) != static_cast<int64_t>(words.size())) {
    fail("\"embeddings\" has " + std::to_string(table->size(0)) + " rows but there are " +
         std::to_string(words.size()) + " words");
  }
  try {
    return Word2Vec(*table, std::move(words));
  } catch (const ValueError& error) {
    fail(error.what());
  }
  throw IOError("unreachable");
}

nn::Embedding Word2Vec::to_embedding(bool freeze) const {
  return nn::Embedding::from_pretrained(embeddings_, freeze);
}

}  // namespace cajal::data::text

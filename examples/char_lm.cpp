// A character-level language model on the fortune cookies of Debian's `fortunes` package: an LSTM
// trained with truncated backpropagation through time, or a small causal transformer, compared
// with a bigram model by validation perplexity per character; then samples text.
//
//   build/char_lm --model lstm
//   build/char_lm --model transformer --temperature 0.7
//   build/char_lm --load runs/char_lm/lstm.safetensors --prompt "Love is"   # sample only
//   build/char_lm --load runs/char_lm/transformer.safetensors --evaluate  # and measure again
//
// Perplexity per character is exp(mean negative log-likelihood of each next character), so a
// model that guessed uniformly among the V characters would score V. The fortunes are split by
// entry (a seeded 90/10 split), so no validation quotation was seen in training.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "fortunes_corpus.h"

using namespace cajal;
namespace text = cajal::data::text;

namespace {

struct Arguments {
  std::string model = "lstm";
  int64_t steps = 2000;
  int64_t batch_size = 32;
  int64_t sequence_length = 128;
  int64_t eval_every = 500;
  double temperature = 0.8;
  int64_t sample_length = 400;
  uint64_t seed = 1;
  std::filesystem::path out = "runs/char_lm";
  std::filesystem::path load{};  // sample from a saved model instead of training
  std::string prompt = "The ";
  bool evaluate = false;  // with --load: the validation perplexity of the saved model too
};

Arguments parse_arguments(int argc, char** argv) {
  Arguments a;
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw ValueError("char_lm: " + key + " needs a value");
      return argv[++i];
    };
    if (key == "--model") {
      a.model = value();
    } else if (key == "--steps") {
      a.steps = std::stoll(value());
    } else if (key == "--batch-size") {
      a.batch_size = std::stoll(value());
    } else if (key == "--sequence-length") {
      a.sequence_length = std::stoll(value());
    } else if (key == "--eval-every") {
      a.eval_every = std::stoll(value());
    } else if (key == "--temperature") {
      a.temperature = std::stod(value());
    } else if (key == "--sample-length") {
      a.sample_length = std::stoll(value());
    } else if (key == "--seed") {
      a.seed = std::stoull(value());
    } else if (key == "--out") {
      a.out = value();
    } else if (key == "--load") {
      a.load = value();
    } else if (key == "--prompt") {
      a.prompt = value();
    } else if (key == "--evaluate") {
      a.evaluate = true;
    } else {
      throw ValueError("char_lm: unknown option " + key +
                       " (options: --model lstm|transformer, --steps, --batch-size, "
                       "--sequence-length, --eval-every, --temperature, --sample-length, --seed, "
                       "--out, --load, --prompt, --evaluate)");
    }
  }
  if (a.model != "lstm" && a.model != "transformer") {
    throw ValueError("char_lm: --model must be lstm or transformer, got " + a.model);
  }
  if (a.steps < 1 || a.batch_size < 1 || a.sequence_length < 2 || a.eval_every < 1) {
    throw ValueError(
        "char_lm: --steps, --batch-size, --eval-every must be positive and "
        "--sequence-length at least 2");
  }
  if (!(a.temperature > 0)) throw ValueError("char_lm: --temperature must be positive");
  if (a.prompt.empty()) throw ValueError("char_lm: --prompt must not be empty");
  return a;
}

// Entries shuffled with the seed; the last tenth is the validation text.
std::pair<std::string, std::string> split_corpus(const std::vector<std::string>& entries,
                                                 uint64_t seed) {
  Generator generator(seed);
  const std::vector<int64_t> order =
      data::random_permutation(static_cast<int64_t>(entries.size()), generator);
  const size_t validation_count = entries.size() / 10;
  std::string train, validation;
  for (size_t i = 0; i < order.size(); ++i) {
    (i < order.size() - validation_count ? train : validation) += entries[order[i]] + "\n";
  }
  return {train, validation};
}

// The bigram baseline: P(b | a) = (count(a b) + alpha) / (count(a) + alpha V). Alpha is chosen
// on the validation text itself from a small grid, which can only flatter the baseline.
std::pair<double, double> bigram_perplexity(const std::vector<int64_t>& train,
                                            const std::vector<int64_t>& validation, int64_t vocab) {
  std::vector<double> pairs(static_cast<size_t>(vocab * vocab), 0.0);
  std::vector<double> firsts(static_cast<size_t>(vocab), 0.0);
  for (size_t i = 0; i + 1 < train.size(); ++i) {
    pairs[train[i] * vocab + train[i + 1]] += 1;
    firsts[train[i]] += 1;
  }
  double best = INFINITY, best_alpha = 0;
  for (double alpha : {0.003, 0.01, 0.03, 0.1, 0.3, 1.0}) {
    double nll = 0;
    for (size_t i = 0; i + 1 < validation.size(); ++i) {
      const int64_t a = validation[i], b = validation[i + 1];
      nll -= std::log((pairs[a * vocab + b] + alpha) / (firsts[a] + alpha * vocab));
    }
    const double perplexity = std::exp(nll / static_cast<double>(validation.size() - 1));
    if (perplexity < best) {
      best = perplexity;
      best_alpha = alpha;
    }
  }
  return {best, best_alpha};
}

// Embedding -> LSTM -> Linear, carrying its state across chunks of a stream.
class LstmLanguageModel : public nn::Module {
 public:
  LstmLanguageModel(int64_t vocab, int64_t embedding_dim, int64_t hidden, int64_t layers)
      : Module("LstmLanguageModel") {
    embed = register_module(
        "embed", nn::Embedding({.num_embeddings = vocab, .embedding_dim = embedding_dim}));
    lstm = register_module("lstm", nn::LSTM({.input_size = embedding_dim,
                                             .hidden_size = hidden,
                                             .num_layers = layers,
                                             .batch_first = true,
                                             .dropout = layers > 1 ? 0.1 : 0.0}));
    head = register_module("head", nn::Linear({.in_features = hidden, .out_features = vocab}));
  }
  // tokens [N, T] -> logits [N, T, V]; `state` is read and replaced by the final state.
  Tensor forward(const Tensor& tokens, nn::RecurrentState& state) {
    nn::RecurrentOutput out = lstm->forward((*embed)(tokens), state);
    state = {out.h_n, out.c_n};
    return (*head)(out.output);
  }
  std::shared_ptr<nn::Embedding> embed;
  std::shared_ptr<nn::LSTM> lstm;
  std::shared_ptr<nn::Linear> head;
};

// Embedding + learned positions -> pre-norm causal transformer encoder -> LayerNorm -> Linear.
class TransformerLanguageModel : public nn::Module {
 public:
  TransformerLanguageModel(int64_t vocab, int64_t d_model, int64_t heads, int64_t layers,
                           int64_t context)
      : Module("TransformerLanguageModel") {
    embed = register_module("embed",
                            nn::Embedding({.num_embeddings = vocab, .embedding_dim = d_model}));
    positions = register_module("positions",
                                nn::LearnedPositionalEncoding(
                                    {.d_model = d_model, .max_len = context, .batch_first = true}));
    encoder =
        register_module("encoder", nn::TransformerEncoder({.layer = {.d_model = d_model,
                                                                     .nhead = heads,
                                                                     .dim_feedforward = 4 * d_model,
                                                                     .dropout = 0.1,
                                                                     .activation = "gelu",
                                                                     .batch_first = true,
                                                                     .norm_first = true},
                                                           .num_layers = layers,
                                                           .final_norm = true}));
    head = register_module("head", nn::Linear({.in_features = d_model, .out_features = vocab}));
  }
  // tokens [N, T] -> logits [N, T, V]; position t sees tokens 0..t only.
  Tensor forward(const Tensor& tokens) override {
    Tensor x = (*positions)((*embed)(tokens));
    x = encoder->forward(x, {.is_causal = true});
    return (*head)(x);
  }
  std::shared_ptr<nn::Embedding> embed;
  std::shared_ptr<nn::LearnedPositionalEncoding> positions;
  std::shared_ptr<nn::TransformerEncoder> encoder;
  std::shared_ptr<nn::Linear> head;
};

Tensor slice_tokens(const std::vector<int64_t>& ids, int64_t start, int64_t length) {
  return from_vector(std::vector<int64_t>(ids.begin() + start, ids.begin() + start + length));
}

// The summed negative log-likelihood of the targets (those set to -100 are skipped).
double summed_loss(const Tensor& logits, const Tensor& targets) {
  const int64_t vocab = logits.size(-1);
  return nn::functional::cross_entropy(logits.reshape({-1, vocab}), targets.reshape({-1}),
                                       {.reduction = nn::Reduction::sum})
      .item<double>();
}

// Validation perplexity of the LSTM: the whole validation text as 16 streams, state carried.
double lstm_perplexity(LstmLanguageModel& model, const std::vector<int64_t>& ids,
                       int64_t sequence_length) {
  no_grad guard;
  model.eval();
  text::LanguageModelStream stream(ids, 16, sequence_length);
  nn::RecurrentState state;
  double total = 0;
  int64_t count = 0;
  for (int64_t i = 0; i < stream.size(); ++i) {
    data::Example chunk = stream.chunk(i);
    Tensor logits = model.forward(chunk.input, state);
    total += summed_loss(logits, chunk.target);
    count += chunk.target.numel();
  }
  model.train();
  return std::exp(total / static_cast<double>(count));
}

// Validation perplexity of the transformer: windows of the context length overlapping by half;
// the first window scores all its positions, every later one only its second half, so each
// character is scored once with at least half a window of context before it.
double transformer_perplexity(TransformerLanguageModel& model, const std::vector<int64_t>& ids,
                              int64_t context) {
  no_grad guard;
  model.eval();
  const int64_t half = context / 2;
  const int64_t size = static_cast<int64_t>(ids.size());
  std::vector<int64_t> starts;
  for (int64_t start = 0; start + context + 1 <= size; start += half) starts.push_back(start);
  double total = 0;
  int64_t count = 0;
  const size_t batch = 32;
  for (size_t w = 0; w < starts.size(); w += batch) {
    std::vector<Tensor> inputs, targets;
    for (size_t b = w; b < std::min(starts.size(), w + batch); ++b) {
      inputs.push_back(slice_tokens(ids, starts[b], context));
      std::vector<int64_t> target(ids.begin() + starts[b] + 1,
                                  ids.begin() + starts[b] + context + 1);
      // Positions scored by the previous window are ignored here.
      if (starts[b] > 0) std::fill(target.begin(), target.begin() + (context - half), -100);
      count += starts[b] > 0 ? half : context;
      targets.push_back(from_vector(target));
    }
    total += summed_loss(model(stack(inputs)), stack(targets));
  }
  model.train();
  return std::exp(total / static_cast<double>(count));
}

int64_t sample_next(const Tensor& last_logits, double temperature) {
  Tensor probabilities = softmax(last_logits.to(Dtype::float64) / temperature, -1);
  return multinomial(probabilities, 1).item<int64_t>();
}

std::string sample_lstm(LstmLanguageModel& model, const text::Tokenizer& tokenizer,
                        const std::string& prompt, int64_t length, double temperature) {
  no_grad guard;
  model.eval();
  std::vector<int64_t> ids = tokenizer.encode(prompt);
  nn::RecurrentState state;
  Tensor logits = model.forward(from_vector(ids).reshape({1, -1}), state);
  std::vector<int64_t> generated;
  for (int64_t i = 0; i < length; ++i) {
    int64_t next = sample_next(logits.select(1, logits.size(1) - 1).squeeze(0), temperature);
    generated.push_back(next);
    logits = model.forward(full({1, 1}, next, {.dtype = Dtype::int64}), state);
  }
  return prompt + tokenizer.decode(generated);
}

std::string sample_transformer(TransformerLanguageModel& model, const text::Tokenizer& tokenizer,
                               const std::string& prompt, int64_t length, double temperature,
                               int64_t context) {
  no_grad guard;
  model.eval();
  std::vector<int64_t> ids = tokenizer.encode(prompt);
  const size_t prompt_size = ids.size();
  for (int64_t i = 0; i < length; ++i) {
    const int64_t start = std::max<int64_t>(0, static_cast<int64_t>(ids.size()) - context);
    Tensor window = slice_tokens(ids, start, static_cast<int64_t>(ids.size()) - start);
    Tensor logits = model(window.reshape({1, -1}));
    ids.push_back(sample_next(logits.select(1, logits.size(1) - 1).squeeze(0), temperature));
  }
  return prompt + tokenizer.decode(std::vector<int64_t>(ids.begin() + prompt_size, ids.end()));
}

// The two models at the sizes this example trains.
std::shared_ptr<LstmLanguageModel> make_lstm(int64_t vocab) {
  return std::make_shared<LstmLanguageModel>(vocab, 64, 512, 1);
}
std::shared_ptr<TransformerLanguageModel> make_transformer(int64_t vocab, int64_t context) {
  return std::make_shared<TransformerLanguageModel>(vocab, 128, 4, 4, context);
}

// Rebuilds a saved model from its file alone: the weights, the tokenizer and the model's kind and
// context length all travel in it.
int sample_saved(const Arguments& args) {
  train::Checkpoint checkpoint = train::load_checkpoint(args.load);
  const data::Metadata& extra = checkpoint.info.extra;
  for (const char* key : {"tokenizer", "char_lm_model", "context"}) {
    if (!extra.contains(key)) {
      throw ValueError("char_lm: " + args.load.string() + " has no \"" + key +
                       "\" entry; it was not saved by char_lm");
    }
  }
  std::unique_ptr<text::Tokenizer> tokenizer = text::tokenizer_from_json(extra.at("tokenizer"));
  const int64_t context = std::stoll(extra.at("context"));
  // The split of the run that saved the model (its seed), encoded with its tokenizer.
  std::vector<int64_t> validation_ids;
  if (args.evaluate) {
    const uint64_t seed = extra.contains("seed") ? std::stoull(extra.at("seed")) : args.seed;
    validation_ids = tokenizer->encode(split_corpus(examples::load_fortunes(), seed).second);
  }
  if (extra.at("char_lm_model") == "lstm") {
    auto model = make_lstm(tokenizer->vocab_size());
    train::restore(checkpoint, *model);
    if (args.evaluate) {
      std::printf("validation perplexity %.3f per character\n",
                  lstm_perplexity(*model, validation_ids, context));
    }
    std::cout << sample_lstm(*model, *tokenizer, args.prompt, args.sample_length, args.temperature)
              << "\n";
  } else {
    auto model = make_transformer(tokenizer->vocab_size(), context);
    train::restore(checkpoint, *model);
    if (args.evaluate) {
      std::printf("validation perplexity %.3f per character\n",
                  transformer_perplexity(*model, validation_ids, context));
    }
    std::cout << sample_transformer(*model, *tokenizer, args.prompt, args.sample_length,
                                    args.temperature, context)
              << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  const Arguments args = parse_arguments(argc, argv);
  manual_seed(args.seed);
  if (!args.load.empty()) return sample_saved(args);
  auto [train_text, validation_text] = split_corpus(examples::load_fortunes(), args.seed);
  text::CharTokenizer tokenizer =
      text::CharTokenizer::train(train_text, {.vocabulary = {.specials = {"<unk>"}}});
  const std::vector<int64_t> train_ids = tokenizer.encode(train_text);
  const std::vector<int64_t> validation_ids = tokenizer.encode(validation_text);
  const int64_t vocab = tokenizer.vocab_size();
  std::printf("corpus: %zu training and %zu validation characters, %lld distinct\n",
              train_ids.size(), validation_ids.size(), static_cast<long long>(vocab));

  auto [bigram, alpha] = bigram_perplexity(train_ids, validation_ids, vocab);
  std::printf("bigram baseline: validation perplexity %.3f per character (alpha %.3g)\n", bigram,
              alpha);

  std::shared_ptr<nn::Module> model;
  std::shared_ptr<LstmLanguageModel> lstm;
  std::shared_ptr<TransformerLanguageModel> transformer;
  if (args.model == "lstm") {
    lstm = make_lstm(vocab);
    model = lstm;
  } else {
    transformer = make_transformer(vocab, args.sequence_length);
    model = transformer;
  }
  std::printf("model: %s, %lld parameters\n", args.model.c_str(),
              static_cast<long long>(nn::count_parameters(*model)));

  optim::AdamW optimizer(model->parameters(), {.lr = 2e-3, .weight_decay = 0.01});
  optim::OneCycleLR schedule(
      optimizer,
      {.max_lr = args.model == "lstm" ? 4e-3 : 2e-3, .total_steps = args.steps, .pct_start = 0.1});

  text::LanguageModelStream stream(train_ids, args.batch_size, args.sequence_length);
  Generator window_generator(derive_seed(args.seed, 7));
  nn::RecurrentState state;
  const auto start = std::chrono::steady_clock::now();
  double running = 0;
  for (int64_t step = 1; step <= args.steps; ++step) {
    Tensor logits, target;
    if (lstm) {
      const int64_t chunk_index = (step - 1) % stream.size();
      if (chunk_index == 0) state = {};  // a new pass over the stream starts from zeros
      data::Example chunk = stream.chunk(chunk_index);
      state = state.detach();  // truncated BPTT: the graph ends at the chunk's start
      logits = lstm->forward(chunk.input, state);
      target = chunk.target;
    } else {
      std::vector<Tensor> inputs, targets;
      const int64_t last = static_cast<int64_t>(train_ids.size()) - args.sequence_length - 1;
      for (int64_t b = 0; b < args.batch_size; ++b) {
        const int64_t offset = window_generator.integer(0, last + 1);
        inputs.push_back(slice_tokens(train_ids, offset, args.sequence_length));
        targets.push_back(slice_tokens(train_ids, offset + 1, args.sequence_length));
      }
      logits = (*transformer)(stack(inputs));
      target = stack(targets);
    }
    Tensor loss = nn::functional::cross_entropy(logits.reshape({-1, vocab}), target.reshape({-1}));
    optimizer.zero_grad();
    loss.backward();
    nn::clip_grad_norm_(model->parameters(), 1.0);
    optimizer.step();
    schedule.step();
    running = step == 1 ? loss.item<double>() : 0.98 * running + 0.02 * loss.item<double>();
    if (step % args.eval_every == 0 || step == args.steps) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double validation =
          lstm ? lstm_perplexity(*lstm, validation_ids, args.sequence_length)
               : transformer_perplexity(*transformer, validation_ids, args.sequence_length);
      std::printf("step %5lld  train loss %.3f  validation perplexity %.3f  (%.0f s)\n",
                  static_cast<long long>(step), running, validation, seconds);
      std::fflush(stdout);
    }
  }

  std::filesystem::create_directories(args.out);
  const std::filesystem::path checkpoint = args.out / (args.model + ".safetensors");
  // The tokenizer travels with the weights, so the file alone can generate text again.
  train::save_checkpoint(checkpoint, *model, nullptr,
                         {.epoch = 0,
                          .step = args.steps,
                          .extra = {{"tokenizer", tokenizer.to_json()},
                                    {"char_lm_model", args.model},
                                    {"context", std::to_string(args.sequence_length)},
                                    {"seed", std::to_string(args.seed)}}});
  std::printf("saved %s\n\nsample (temperature %.2f):\n", checkpoint.c_str(), args.temperature);
  const std::string& prompt = args.prompt;
  std::cout << (lstm ? sample_lstm(*lstm, tokenizer, prompt, args.sample_length, args.temperature)
                     : sample_transformer(*transformer, tokenizer, prompt, args.sample_length,
                                          args.temperature, args.sequence_length))
            << "\n";
  return 0;
} catch (const std::exception& error) {
  std::fprintf(stderr, "error: %s\n", error.what());
  return 1;
}

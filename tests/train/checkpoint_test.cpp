#include "cajal/train/checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cajal/core/creation.h"
#include "cajal/core/random.h"
#include "cajal/data/text/bpe_tokenizer.h"
#include "cajal/data/text/word_tokenizer.h"
#include "cajal/nn/embedding.h"
#include "cajal/nn/functional/loss.h"
#include "cajal/nn/linear.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/optim/adam.h"
#include "cajal/optim/step_lr.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = fs::temp_directory_path() /
                 ("cajal_checkpoint_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }
  fs::path file(const std::string& name) const { return directory_ / name; }

  fs::path directory_;
};

// A small regression problem and a model, optimizer and schedule to fit it.
struct TrainingRun {
  explicit TrainingRun(uint64_t init_seed) {
    manual_seed(init_seed);
    model = std::make_unique<nn::Linear>(nn::LinearOptions{.in_features = 4, .out_features = 3});
    optimizer = std::make_unique<optim::Adam>(model->parameters(),
                                              optim::AdamOptions{.lr = 0.05, .amsgrad = true});
    scheduler = std::make_unique<optim::StepLR>(*optimizer,
                                                optim::StepLROptions{.step_size = 3, .gamma = 0.5});
  }

  void train(int steps) {
    manual_seed(1234);
    Tensor x = randn({16, 4});
    Tensor y = randn({16, 3});
    for (int i = 0; i < steps; ++i) {
      optimizer->zero_grad();
      nn::functional::mse_loss((*model)(x), y).backward();
      optimizer->step();
      scheduler->step();
    }
  }

  std::unique_ptr<nn::Linear> model;
  std::unique_ptr<optim::Adam> optimizer;
  std::unique_ptr<optim::StepLR> scheduler;
};

void expect_identical(const StateDict& expected, const StateDict& actual) {
  ASSERT_EQ(expected.keys(), actual.keys());
  for (const auto& [key, value] : expected) {
    EXPECT_EQ(actual.at(key).dtype(), value.dtype()) << key;
    EXPECT_TRUE(equal(actual.at(key), value)) << key;
  }
}

TEST_F(CheckpointTest, ResumedTrainingMatchesAnUninterruptedRunBitForBit) {
  TrainingRun uninterrupted(7);
  uninterrupted.train(10);

  TrainingRun first_half(7);
  first_half.train(4);
  train::save_checkpoint(file("ckpt.safetensors"), *first_half.model, first_half.optimizer.get(),
                         {.epoch = 4, .step = 4}, first_half.scheduler.get());

  TrainingRun resumed(99);  // other initial weights: everything must come from the checkpoint
  train::Checkpoint checkpoint = train::load_checkpoint(file("ckpt.safetensors"));
  train::restore(checkpoint, *resumed.model, resumed.optimizer.get(), resumed.scheduler.get());
  EXPECT_EQ(resumed.scheduler->last_epoch(), 4);
  // Continue for the remaining 6 steps (train() replays the same data each step).
  resumed.train(6);

  expect_identical(uninterrupted.model->state_dict(), resumed.model->state_dict());
  expect_identical(uninterrupted.optimizer->state_dict(), resumed.optimizer->state_dict());
  expect_identical(uninterrupted.scheduler->state_dict(), resumed.scheduler->state_dict());
  EXPECT_EQ(uninterrupted.optimizer->lr(0), resumed.optimizer->lr(0));
}

TEST_F(CheckpointTest, StoresTensorsUnderPrefixesAndTheInfoInMetadata) {
  TrainingRun run(3);
  run.train(2);
  train::CheckpointInfo info{.epoch = 2,
                             .step = 120,
                             .model_spec = R"({"model": [{"type": "linear", "units": 3}]})",
                             .preprocessing = R"({"mean": [0.5], "std": [0.25]})",
                             .extra = {{"run", "baseline"}, {"commit", "abc123"}}};
  train::save_checkpoint(file("c.safetensors"), *run.model, run.optimizer.get(), info,
                         run.scheduler.get());

  // As any safetensors reader sees it.
  data::SafetensorsFile raw = data::load_safetensors(file("c.safetensors"));
  EXPECT_EQ(raw.metadata.at("format"), "cajal-checkpoint-1");
  EXPECT_EQ(raw.metadata.at("epoch"), "2");
  EXPECT_EQ(raw.metadata.at("step"), "120");
  EXPECT_EQ(raw.metadata.at("run"), "baseline");
  EXPECT_TRUE(equal(raw.tensors.at("model.weight"), run.model->state_dict().at("weight")));
  EXPECT_TRUE(raw.tensors.contains("optimizer.param_groups.0.lr"));
  EXPECT_TRUE(raw.tensors.contains("scheduler.last_epoch"));

  train::Checkpoint checkpoint = train::load_checkpoint(file("c.safetensors"));
  EXPECT_EQ(checkpoint.info.epoch, 2);
  EXPECT_EQ(checkpoint.info.step, 120);
  EXPECT_EQ(checkpoint.info.model_spec, info.model_spec);
  EXPECT_EQ(checkpoint.info.preprocessing, info.preprocessing);
  EXPECT_EQ(checkpoint.info.extra, info.extra);
  EXPECT_TRUE(checkpoint.has_optimizer);
  EXPECT_TRUE(checkpoint.has_scheduler);
  expect_identical(run.model->state_dict(), checkpoint.model);
  expect_identical(run.optimizer->state_dict(), checkpoint.optimizer);
  expect_identical(run.scheduler->state_dict(), checkpoint.scheduler);
}

TEST_F(CheckpointTest, ModelOnlyCheckpointRestoresTheModel) {
  TrainingRun run(3);
  train::save_checkpoint(file("m.safetensors"), *run.model, nullptr, {});
  train::Checkpoint checkpoint = train::load_checkpoint(file("m.safetensors"));
  EXPECT_FALSE(checkpoint.has_optimizer);
  EXPECT_FALSE(checkpoint.has_scheduler);
  TrainingRun fresh(4);
  train::restore(checkpoint, *fresh.model);
  expect_identical(run.model->state_dict(), fresh.model->state_dict());
  expect_error<ValueError>([&] { train::restore(checkpoint, *fresh.model, fresh.optimizer.get()); },
                           {"no optimizer state", "Adam"});
}

// A language model's tokenizer travels in the checkpoint's metadata: the file alone rebuilds
// both, and the reloaded tokenizer encodes exactly as the saved one (BPE merges included).
TEST_F(CheckpointTest, TokenizerTravelsWithTheModel) {
  const std::string corpus = "the cat sat on the mat; the cat ate the rat. ";
  auto bpe = data::text::BpeTokenizer::train(corpus + corpus, {.vocab_size = 300});
  auto words = data::text::WordTokenizer::train(corpus);
  manual_seed(5);
  nn::Embedding embed({.num_embeddings = bpe.vocab_size(), .embedding_dim = 4});
  train::save_checkpoint(file("lm.safetensors"), embed, nullptr,
                         {.extra = {{"tokenizer", bpe.to_json()}, {"words", words.to_json()}}});

  train::Checkpoint checkpoint = train::load_checkpoint(file("lm.safetensors"));
  auto bpe_again = data::text::tokenizer_from_json(checkpoint.info.extra.at("tokenizer"));
  auto words_again = data::text::tokenizer_from_json(checkpoint.info.extra.at("words"));
  ASSERT_NE(dynamic_cast<data::text::BpeTokenizer*>(bpe_again.get()), nullptr);
  ASSERT_NE(dynamic_cast<data::text::WordTokenizer*>(words_again.get()), nullptr);
  const std::string sentence = "the rat sat on a cat!";
  EXPECT_EQ(bpe_again->encode(sentence), bpe.encode(sentence));
  EXPECT_EQ(bpe_again->decode(bpe.encode(sentence)), sentence);
  EXPECT_EQ(words_again->encode(sentence), words.encode(sentence));

  nn::Embedding restored({.num_embeddings = bpe_again->vocab_size(), .embedding_dim = 4});
  train::restore(checkpoint, restored);
  Tensor ids = from_vector(bpe_again->encode(sentence));
  EXPECT_TRUE(equal(restored(ids), embed(ids)));
}

TEST_F(CheckpointTest, SaveValidatesTheInfo) {
  TrainingRun run(3);
  fs::path path = file("x.safetensors");
  expect_error<ValueError>(
      [&] { train::save_checkpoint(path, *run.model, nullptr, {.epoch = -1}); },
      "epoch must be >= 0, got -1");
  expect_error<ValueError>([&] { train::save_checkpoint(path, *run.model, nullptr, {.step = -2}); },
                           "step must be >= 0, got -2");
  expect_error<ValueError>(
      [&] { train::save_checkpoint(path, *run.model, nullptr, {.model_spec = "{oops"}); },
      {"model_spec is not valid JSON", "{oops"});
  expect_error<ValueError>(
      [&] { train::save_checkpoint(path, *run.model, nullptr, {.preprocessing = "[1,"}); },
      "preprocessing is not valid JSON");
  expect_error<ValueError>(
      [&] {
        train::save_checkpoint(path, *run.model, nullptr, {.extra = {{"epoch", "9"}}});
      },
      "extra key 'epoch' is reserved");
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(CheckpointTest, RestoreIsStrictAndAllOrNothing) {
  TrainingRun run(3);
  run.train(1);
  train::save_checkpoint(file("c.safetensors"), *run.model, run.optimizer.get(), {});
  train::Checkpoint checkpoint = train::load_checkpoint(file("c.safetensors"));

  // A model of another shape: the module's own error, naming the key.
  manual_seed(5);
  nn::Linear wider({.in_features = 4, .out_features = 5});
  EXPECT_THROW(train::restore(checkpoint, wider), ValueError);

  train::Checkpoint missing = checkpoint;
  missing.model = StateDict{{"weight", checkpoint.model.at("weight")}};
  TrainingRun fresh(4);
  expect_error<ValueError>([&] { train::restore(missing, *fresh.model); }, "bias");

  // The model loads, then the optimizer fails: the model is put back.
  train::Checkpoint bad_optimizer = checkpoint;
  bad_optimizer.optimizer = StateDict{{"unexpected", zeros({1})}};
  StateDict before = fresh.model->state_dict();
  StateDict before_copy;
  for (const auto& [key, value] : before) before_copy.insert(key, value.clone());
  EXPECT_THROW(train::restore(bad_optimizer, *fresh.model, fresh.optimizer.get()), ValueError);
  expect_identical(before_copy, fresh.model->state_dict());
}

TEST_F(CheckpointTest, LoadRejectsFilesThatAreNotCheckpoints) {
  fs::path path = file("weights.safetensors");
  data::save_safetensors(path, {{"model.weight", zeros({2})}});
  expect_error<IOError>([&] { train::load_checkpoint(path); },
                        {"weights.safetensors", "no 'format'"});
  data::save_safetensors(path, {}, {{"format", "pt"}});
  expect_error<IOError>([&] { train::load_checkpoint(path); },
                        "format is 'pt', expected 'cajal-checkpoint-1'");
  data::save_safetensors(path, {}, {{"format", "cajal-checkpoint-1"}, {"epoch", "x"}});
  expect_error<IOError>([&] { train::load_checkpoint(path); },
                        "'epoch' must be a non-negative integer, got 'x'");
  data::save_safetensors(path, {}, {{"format", "cajal-checkpoint-1"}, {"epoch", "1"}});
  expect_error<IOError>([&] { train::load_checkpoint(path); }, "metadata has no 'step'");
  data::save_safetensors(path, {{"other.w", zeros({1})}},
                         {{"format", "cajal-checkpoint-1"}, {"epoch", "1"}, {"step", "2"}});
  expect_error<IOError>([&] { train::load_checkpoint(path); }, "tensor 'other.w' is not under");
  std::ofstream(path, std::ios::binary) << "garbage!";
  expect_error<IOError>([&] { train::load_checkpoint(path); }, "weights.safetensors");
}

TEST_F(CheckpointTest, AFailedSaveKeepsTheLastGoodCheckpoint) {
  TrainingRun run(3);
  fs::path path = file("last.safetensors");
  train::save_checkpoint(path, *run.model, run.optimizer.get(), {.epoch = 1});
  EXPECT_THROW(train::save_checkpoint(path, *run.model, nullptr, {.epoch = 2, .model_spec = "{"}),
               ValueError);
  EXPECT_EQ(train::load_checkpoint(path).info.epoch, 1);
  EXPECT_EQ(std::distance(fs::directory_iterator(directory_), {}), 1);
}

}  // namespace
}  // namespace cajal

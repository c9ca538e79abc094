#include "cajal/train/fit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cajal/cajal.h"
#include "cajal/train/callbacks.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;

// Two Gaussian blobs in 2-D, class 0 around (-1.5, -1.5) and class 1 around (1.5, 1.5).
data::TensorDataset blobs(int64_t n, uint64_t seed) {
  manual_seed(seed);
  std::vector<int64_t> classes(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) classes[size_t(i)] = i % 2;
  Tensor labels = from_vector(classes);
  Tensor centers = (labels.to(Dtype::float32) * 3 - 1.5).reshape({n, 1}).expand({n, 2});
  Tensor points = randn({n, 2}) * 0.7 + centers;
  return data::TensorDataset(points.contiguous(), labels);
}

std::shared_ptr<nn::Sequential> small_net(uint64_t seed, double dropout = 0.2) {
  manual_seed(seed);
  return std::make_shared<nn::Sequential>(nn::Sequential{
      nn::Linear({.in_features = 2, .out_features = 16}), nn::Tanh(), nn::Dropout({.p = dropout}),
      nn::Linear({.in_features = 16, .out_features = 2})});
}

bool same_weights(const nn::Module& a, const nn::Module& b) {
  StateDict x = a.state_dict();
  StateDict y = b.state_dict();
  if (x.size() != y.size()) return false;
  for (const auto& [key, tensor] : x) {
    if (!equal(tensor, y.at(key))) return false;
  }
  return true;
}

class FitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = fs::temp_directory_path() /
                 ("cajal_fit_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  fs::path directory_;
  nn::CrossEntropyLoss loss_;
};

TEST_F(FitTest, LearnsTwoBlobsAndLogsEveryEpoch) {
  auto train = blobs(400, 1);
  auto test = blobs(200, 2);
  auto net = small_net(3);
  optim::Adam optimizer(net->parameters(), {.lr = 0.01});
  train::History history = train::fit(*net, loss_, optimizer, train,
                                      {.epochs = 5,
                                       .batch_size = 32,
                                       .validation = test,
                                       .metrics = {"accuracy", "f1_macro"},
                                       .verbose = 0,
                                       .seed = 7});
  ASSERT_EQ(history.epochs.size(), 5u);
  EXPECT_FALSE(history.stopped_early);
  EXPECT_FALSE(history.diverged);
  std::vector<std::string> keys = history.epochs[0].keys();
  EXPECT_EQ(keys, (std::vector<std::string>{"epoch", "train_loss", "train_accuracy",
                                            "train_f1_macro", "val_loss", "val_accuracy",
                                            "val_f1_macro", "lr", "seconds"}));
  EXPECT_EQ(history.values("epoch"), (std::vector<double>{1, 2, 3, 4, 5}));
  std::vector<double> losses = history.values("train_loss");
  EXPECT_LT(losses.back(), losses.front());
  EXPECT_GT(history.last("val_accuracy"), 0.97);
  EXPECT_FALSE(net->is_training());

  // evaluate agrees with the last epoch's validation values (same weights, eval mode).
  train::Logs result =
      train::evaluate(*net, loss_, test, {.batch_size = 17, .metrics = {"accuracy"}});
  EXPECT_NEAR(result.at("loss"), history.last("val_loss"), 1e-6);
  EXPECT_DOUBLE_EQ(result.at("accuracy"), history.last("val_accuracy"));
  expect_error<ValueError>([&] { (void)history.values("val_rmse"); }, {"val_rmse"});

  // The design guide's form: a loss made in the call.
  train::History again =
      train::fit(*net, nn::CrossEntropyLoss(), optimizer, train,
                 {.epochs = 1, .batch_size = 128, .validation = test, .verbose = 0});
  EXPECT_EQ(again.epochs.size(), 1u);
  EXPECT_GT(train::evaluate(*net, nn::CrossEntropyLoss(), test).at("loss"), 0);
}

TEST_F(FitTest, EvaluateAndPredictMatchOneFullBatch) {
  auto test = blobs(101, 4);
  auto net = small_net(5);
  net->train();
  Tensor all_inputs = test.inputs();
  Tensor expected;
  {
    no_grad guard;
    net->eval();
    expected = (*net)(all_inputs);
    net->train();
  }
  Tensor predicted = train::predict(*net, test, {.batch_size = 10});
  EXPECT_TRUE(allclose(predicted, expected, 1e-6, 1e-6));
  EXPECT_TRUE(allclose(train::predict(*net, all_inputs, {.batch_size = 7}), expected, 1e-6, 1e-6));
  EXPECT_TRUE(net->is_training());  // restored

  train::Logs logs =
      train::evaluate(*net, loss_, test, {.batch_size = 10, .metrics = {"accuracy"}});
  double full_loss = nn::functional::cross_entropy(expected, test.targets()).item<double>();
  EXPECT_NEAR(logs.at("loss"), full_loss, 1e-6);
  EXPECT_DOUBLE_EQ(logs.at("accuracy"), train::accuracy(expected, test.targets()));
  EXPECT_TRUE(net->is_training());
}

TEST_F(FitTest, SameSeedSameWeightsBitForBit) {
  auto train = blobs(200, 1);
  auto run = [&](uint64_t seed) {
    auto net = small_net(11, 0.5);
    optim::SGD optimizer(net->parameters(), {.lr = 0.05, .momentum = 0.9});
    train::fit(
        *net, loss_, optimizer, train,
        {.epochs = 3, .batch_size = 16, .validation_fraction = 0.2, .verbose = 0, .seed = seed});
    return net;
  };
  auto a = run(42);
  auto b = run(42);
  auto c = run(43);
  EXPECT_TRUE(same_weights(*a, *b));
  EXPECT_FALSE(same_weights(*a, *c));
}

TEST_F(FitTest, ResumeEndsWithTheWeightsOfAnUninterruptedRun) {
  auto train = blobs(240, 1);
  auto test = blobs(60, 2);
  auto make = [&](std::shared_ptr<nn::Sequential>& net, std::unique_ptr<optim::Adam>& optimizer,
                  std::unique_ptr<optim::StepLR>& schedule) {
    net = small_net(21, 0.3);
    optimizer = std::make_unique<optim::Adam>(net->parameters(), optim::AdamOptions{.lr = 0.02});
    schedule = std::make_unique<optim::StepLR>(*optimizer,
                                               optim::StepLROptions{.step_size = 2, .gamma = 0.5});
  };
  std::shared_ptr<nn::Sequential> full_net;
  std::unique_ptr<optim::Adam> full_optimizer;
  std::unique_ptr<optim::StepLR> full_schedule;
  make(full_net, full_optimizer, full_schedule);
  train::FitOptions options{.epochs = 5,
                            .batch_size = 16,
                            .validation = test,
                            .metrics = {"accuracy"},
                            .scheduler = full_schedule.get(),
                            .verbose = 0,
                            .seed = 9};
  train::History full = train::fit(*full_net, loss_, *full_optimizer, train, options);

  // The interrupted run: 2 epochs with checkpoints, then a new process's worth of objects.
  std::shared_ptr<nn::Sequential> net;
  std::unique_ptr<optim::Adam> optimizer;
  std::unique_ptr<optim::StepLR> schedule;
  make(net, optimizer, schedule);
  auto saver = std::make_shared<train::ModelCheckpoint>(
      train::ModelCheckpointOptions{.directory = directory_, .monitor = "val_accuracy"});
  train::FitOptions first = options;
  first.epochs = 2;
  first.scheduler = schedule.get();
  first.callbacks = {saver};
  train::fit(*net, loss_, *optimizer, train, first);

  make(net, optimizer, schedule);
  train::Checkpoint checkpoint = train::load_checkpoint(directory_ / "last.safetensors");
  EXPECT_EQ(checkpoint.info.epoch, 2);
  EXPECT_EQ(checkpoint.info.step, 2 * 15);
  train::restore(checkpoint, *net, optimizer.get(), schedule.get());
  train::FitOptions rest = options;
  rest.scheduler = schedule.get();
  rest.initial_epoch = checkpoint.info.epoch;
  train::History resumed = train::fit(*net, loss_, *optimizer, train, rest);

  EXPECT_TRUE(same_weights(*net, *full_net));
  ASSERT_EQ(resumed.epochs.size(), 3u);
  EXPECT_EQ(resumed.values("epoch"), (std::vector<double>{3, 4, 5}));
  std::vector<double> full_losses = full.values("train_loss");
  EXPECT_EQ(resumed.values("train_loss"),
            (std::vector<double>(full_losses.begin() + 2, full_losses.end())));
  EXPECT_EQ(resumed.values("lr"), (std::vector<double>{0.01, 0.01, 0.005}));
}

// Cross-entropy that turns NaN at one chosen call, as a diverging run does.
class NanAtStep : public nn::Loss {
 public:
  explicit NanAtStep(int64_t bad_call) : nn::Loss("NanAtStep"), bad_call_(bad_call) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    Tensor loss = nn::functional::cross_entropy(input, target);
    return ++calls_ == bad_call_ ? loss * std::nan("") : loss;
  }

 private:
  int64_t bad_call_;
  int64_t calls_ = 0;
};

TEST_F(FitTest, DivergenceStopsBeforeTheBadStepAndKeepsTheLastCheckpoint) {
  auto train = blobs(64, 1);
  auto net = small_net(2, 0);
  optim::SGD optimizer(net->parameters(), {.lr = 0.1});
  // 8 batches per epoch: call 20 is epoch 3, batch 4, step 20.
  NanAtStep loss(20);
  auto saver = std::make_shared<train::ModelCheckpoint>(
      train::ModelCheckpointOptions{.directory = directory_, .save_best = false});
  struct Snapshot : train::Callback {
    StateDict weights;
    void on_batch_end(train::TrainingState& state, const train::BatchLogs&) override {
      weights.clear();
      for (const auto& [key, tensor] : state.model.state_dict())
        weights.insert(key, tensor.clone());
    }
  };
  auto snapshot = std::make_shared<Snapshot>();
  train::History history = train::fit(
      *net, loss, optimizer, train,
      {.epochs = 5, .batch_size = 8, .callbacks = {saver, snapshot}, .verbose = 0, .seed = 1});
  ASSERT_TRUE(history.diverged);
  EXPECT_FALSE(history.stopped_early);
  EXPECT_EQ(history.epochs.size(), 2u);
  EXPECT_EQ(history.stop_reason,
            "the training loss became NaN at epoch 3, batch 4 of 8 (step 20); lower the learning "
            "rate or clip gradients");
  // No step was taken with the NaN loss: the weights are those after step 19.
  for (const auto& [key, tensor] : net->state_dict()) {
    EXPECT_TRUE(equal(tensor, snapshot->weights.at(key))) << key;
  }
  // The last checkpoint is epoch 2's, intact.
  train::Checkpoint last = train::load_checkpoint(directory_ / "last.safetensors");
  EXPECT_EQ(last.info.epoch, 2);
  EXPECT_EQ(last.info.step, 16);
}

TEST_F(FitTest, ValidationFractionIsStratifiedAndSeeded) {
  auto train = blobs(100, 1);
  auto net = small_net(3);
  optim::Adam optimizer(net->parameters(), {.lr = 0.01});
  struct Sizes : train::Callback {
    int64_t samples = 0;
    void on_train_begin(train::TrainingState& state) override { samples = state.samples_per_epoch; }
  };
  auto sizes = std::make_shared<Sizes>();
  train::History history = train::fit(*net, loss_, optimizer, train,
                                      {.epochs = 1,
                                       .batch_size = 10,
                                       .validation_fraction = 0.2,
                                       .callbacks = {sizes},
                                       .verbose = 0,
                                       .seed = 3});
  EXPECT_EQ(sizes->samples, 80);
  EXPECT_TRUE(history.epochs[0].contains("val_loss"));
}

TEST_F(FitTest, PenaltiesClippingAndPerStepSchedules) {
  auto train = blobs(96, 1);
  auto net = small_net(3, 0);
  optim::SGD optimizer(net->parameters(), {.lr = 0.1, .momentum = 0.9});
  optim::OneCycleLR schedule(optimizer, {.max_lr = 0.5, .total_steps = 2 * 6});
  struct Watch : train::Callback {
    std::vector<double> rates;
    double largest_norm = 0;
    void on_batch_end(train::TrainingState& state, const train::BatchLogs&) override {
      rates.push_back(state.optimizer.lr(0));
      double squares = 0;
      for (const Tensor& p : state.model.parameters()) {
        squares += p.grad().pow(2).sum().item<double>();
      }
      largest_norm = std::max(largest_norm, std::sqrt(squares));
    }
  };
  auto watch = std::make_shared<Watch>();
  train::History history = train::fit(*net, loss_, optimizer, train,
                                      {.epochs = 2,
                                       .batch_size = 16,
                                       .l2 = 0.01,
                                       .clip_grad_norm = 0.05,
                                       .scheduler = &schedule,
                                       .schedule_interval = train::ScheduleInterval::step,
                                       .callbacks = {watch},
                                       .verbose = 0,
                                       .seed = 3});
  EXPECT_LE(watch->largest_norm, 0.05 * (1 + 1e-5));
  EXPECT_GT(history.last("penalty"), 0);
  // The rates after each step are OneCycle's, step by step.
  optim::SGD probe_optimizer(small_net(3, 0)->parameters(), {.lr = 0.1, .momentum = 0.9});
  optim::OneCycleLR probe(probe_optimizer, {.max_lr = 0.5, .total_steps = 12});
  ASSERT_EQ(watch->rates.size(), 12u);
  for (size_t i = 0; i + 1 < watch->rates.size(); ++i) {
    probe.step();
    EXPECT_DOUBLE_EQ(watch->rates[i], probe_optimizer.lr(0)) << "step " << i;
  }
}

TEST_F(FitTest, ReduceLROnPlateauStepsWithTheMonitoredValue) {
  auto train = blobs(64, 1);
  auto net = small_net(3, 0);
  optim::SGD optimizer(net->parameters(), {.lr = 0.0});  // nothing improves
  optim::ReduceLROnPlateau plateau(optimizer, {.factor = 0.5, .patience = 0});
  optimizer.set_lr(0, 0.0);
  train::History history = train::fit(*net, loss_, optimizer, train,
                                      {.epochs = 3,
                                       .batch_size = 64,
                                       .scheduler = &plateau,
                                       .monitor = "train_loss",
                                       .verbose = 0,
                                       .seed = 1});
  EXPECT_EQ(history.epochs.size(), 3u);
  expect_error<ValueError>(
      [&] {
        train::fit(*net, loss_, optimizer, train,
                   {.epochs = 1, .scheduler = &plateau, .verbose = 0});  // monitors val_loss
      },
      {"ReduceLROnPlateau", "val_loss", "validation"});
}

TEST_F(FitTest, BadOptionsAreErrorsNamingTheOption) {
  auto train = blobs(20, 1);
  auto net = small_net(3);
  optim::SGD optimizer(net->parameters(), {.lr = 0.1});
  optim::SGD other(small_net(4)->parameters(), {.lr = 0.1});
  optim::StepLR foreign(other, {.step_size = 1});
  auto fit = [&](train::FitOptions options) {
    options.verbose = 0;
    train::fit(*net, loss_, optimizer, train, options);
  };
  expect_error<ValueError>([&] { fit({.epochs = 0}); }, {"epochs", "0"});
  expect_error<ValueError>([&] { fit({.batch_size = 0}); }, {"batch_size", "0"});
  expect_error<ValueError>([&] { fit({.validation = train, .validation_fraction = 0.1}); },
                           {"not both"});
  expect_error<ValueError>([&] { fit({.validation_fraction = 1.5}); }, {"validation_fraction"});
  expect_error<ValueError>([&] { fit({.scheduler = &foreign}); }, {"StepLR", "another optimizer"});
  expect_error<ValueError>([&] { fit({.epochs = 2, .initial_epoch = 2}); }, {"initial_epoch"});
  expect_error<ValueError>([&] { fit({.clip_grad_norm = -1.0}); }, {"clip_grad_norm"});
  data::TensorDataset empty(zeros({0, 2}), zeros({0}, {.dtype = Dtype::int64}));
  expect_error<ValueError>([&] { train::fit(*net, loss_, optimizer, empty, {.verbose = 0}); },
                           {"empty"});
  nn::CrossEntropyLoss unreduced({.reduction = nn::Reduction::none});
  expect_error<ValueError>([&] { train::fit(*net, unreduced, optimizer, train, {.verbose = 0}); },
                           {"one value", "reduction"});
  expect_error<ValueError>(
      [&] {
        auto stopper = std::make_shared<train::EarlyStopping>(
            train::EarlyStoppingOptions{.monitor = "val_accuracy"});
        fit({.callbacks = {stopper}});
      },
      {"EarlyStopping", "val_accuracy", "not logged", "train_loss"});
  expect_error<ShapeError>([&] { train::predict(*net, scalar_tensor(1.0, Dtype::float32)); },
                           {"predict"});
}

}  // namespace
}  // namespace cajal

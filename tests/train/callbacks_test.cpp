#include "cajal/train/callbacks.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cajal/cajal.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;

std::string read_text(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// Drives callbacks by hand with scripted epoch logs, as fit would.
class CallbackTest : public ::testing::Test {
 protected:
  CallbackTest()
      : net_(nn::Linear({.in_features = 2, .out_features = 1})),
        optimizer_(net_.parameters(), {.lr = 0.1}),
        state_{.model = net_,
               .optimizer = optimizer_,
               .scheduler = nullptr,
               .options = options_,
               .history = history_} {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = fs::temp_directory_path() /
                 ("cajal_callbacks_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    state_.epochs = 10;
    state_.batches_per_epoch = 4;
  }
  ~CallbackTest() override { fs::remove_all(directory_); }

  // Runs epochs with the given values of "val_loss" (and weights set to the epoch number, so a
  // restore is visible); stops when a callback says so. Returns the epochs run.
  int64_t run(train::Callback& callback, const std::vector<double>& values,
              const std::string& key = "val_loss") {
    callback.on_train_begin(state_);
    int64_t epoch = options_.initial_epoch;
    for (double value : values) {
      state_.epoch = epoch;
      {
        no_grad guard;
        net_.weight.fill_(double(epoch + 1));
      }
      train::Logs logs;
      logs.insert("epoch", double(epoch + 1));
      logs.insert("train_loss", 1.0 / double(epoch + 1));
      logs.insert(key, value);
      logs.insert("seconds", 0.5);
      history_.epochs.push_back(logs);
      callback.on_epoch_end(state_, history_.epochs.back());
      ++epoch;
      if (state_.stop_training) break;
    }
    callback.on_train_end(state_);
    return epoch - options_.initial_epoch;
  }

  nn::Linear net_;
  optim::SGD optimizer_;
  train::FitOptions options_;
  train::History history_;
  train::TrainingState state_;
  fs::path directory_;
};

TEST_F(CallbackTest, EarlyStoppingWaitsPatienceEpochsAndRestoresTheBest) {
  train::EarlyStopping stopper({.patience = 2, .restore_best_weights = true});
  int64_t ran = run(stopper, {1.0, 0.5, 0.6, 0.55, 0.7, 0.1});
  EXPECT_EQ(ran, 5);  // best at epoch 2, then 3 epochs without improvement > patience 2
  EXPECT_EQ(stopper.best_epoch(), 2);
  EXPECT_EQ(stopper.stopped_epoch(), 5);
  EXPECT_DOUBLE_EQ(stopper.best_value(), 0.5);
  EXPECT_TRUE(state_.stop_training);
  EXPECT_NE(state_.stop_reason.find("val_loss did not improve for 3 epochs"), std::string::npos)
      << state_.stop_reason;
  EXPECT_DOUBLE_EQ(net_.weight.at<float>({0, 0}), 2.0);  // epoch 2's weights
}

TEST_F(CallbackTest, EarlyStoppingMinDeltaModeAndBaseline) {
  train::EarlyStopping accuracy({.monitor = "val_accuracy", .min_delta = 0.01, .patience = 1});
  // Improvements under min_delta do not count; accuracy is maximized.
  EXPECT_EQ(run(accuracy, {0.80, 0.805, 0.809, 0.95}, "val_accuracy"), 3);
  EXPECT_EQ(accuracy.best_epoch(), 1);

  state_.stop_training = false;
  history_.epochs.clear();
  train::EarlyStopping baseline({.patience = 1, .baseline = 0.3});
  EXPECT_EQ(run(baseline, {0.5, 0.4, 0.2}), 2);
  EXPECT_EQ(baseline.best_epoch(), 0);
  EXPECT_NE(state_.stop_reason.find("baseline"), std::string::npos);

  expect_error<ValueError>([] { train::EarlyStopping({.patience = -1}); }, {"patience", "-1"});
  expect_error<ValueError>([] { train::EarlyStopping({.min_delta = -0.1}); }, {"min_delta"});
  EXPECT_EQ(train::resolve_mode(train::Mode::automatic, "val_f1_macro"), train::Mode::max);
  EXPECT_EQ(train::resolve_mode(train::Mode::automatic, "val_rmse"), train::Mode::min);
}

TEST_F(CallbackTest, ModelCheckpointKeepsBestAndLast) {
  train::ModelCheckpoint saver(
      {.directory = directory_ / "run", .info = {.model_spec = "{\"model\": []}"}});
  run(saver, {0.9, 0.4, 0.6});
  train::Checkpoint best = train::load_checkpoint(saver.best_path());
  train::Checkpoint last = train::load_checkpoint(saver.last_path());
  EXPECT_EQ(best.info.epoch, 2);
  EXPECT_EQ(last.info.epoch, 3);
  EXPECT_EQ(best.info.model_spec, "{\"model\": []}");
  EXPECT_EQ(best.info.extra.at("monitor"), "val_loss");
  EXPECT_DOUBLE_EQ(std::stod(best.info.extra.at("monitor_value")), 0.4);
  EXPECT_FLOAT_EQ(best.model.at("weight").at<float>({0, 0}), 2.0f);
  EXPECT_FLOAT_EQ(last.model.at("weight").at<float>({0, 0}), 3.0f);
  EXPECT_TRUE(best.has_optimizer);

  // A resumed run only replaces best.safetensors with something better than the saved best.
  options_.initial_epoch = 3;
  history_.epochs.clear();
  train::ModelCheckpoint resumed({.directory = directory_ / "run"});
  run(resumed, {0.5, 0.3});
  EXPECT_EQ(train::load_checkpoint(resumed.best_path()).info.epoch, 5);

  expect_error<ValueError>([] { train::ModelCheckpoint({}); }, {"directory"});
  expect_error<ValueError>(
      [&] {
        train::ModelCheckpoint({.directory = directory_, .save_last = false, .save_best = false});
      },
      {"nothing to save"});
}

TEST_F(CallbackTest, MetricsLoggerWritesCsvAndJsonAndAppendsOnResume) {
  train::MetricsLogger csv({.path = directory_ / "log.csv"});
  run(csv, {0.9, 0.4});
  EXPECT_EQ(read_text(directory_ / "log.csv"),
            "epoch,train_loss,val_loss,seconds\n1,1,0.90000000000000002,0.5\n"
            "2,0.5,0.40000000000000002,0.5\n");

  history_.epochs.clear();
  train::MetricsLogger json({.path = directory_ / "log.json"});
  run(json, {0.9, std::nan("")});
  nlohmann::json document = nlohmann::json::parse(read_text(directory_ / "log.json"));
  ASSERT_EQ(document["epochs"].size(), 2u);
  EXPECT_EQ(document["epochs"][0]["epoch"], 1);
  EXPECT_DOUBLE_EQ(document["epochs"][0]["val_loss"].get<double>(), 0.9);
  EXPECT_TRUE(document["epochs"][1]["val_loss"].is_null());

  // Resuming at epoch 1 keeps the first row and replaces the rest.
  options_.initial_epoch = 1;
  history_.epochs.clear();
  train::MetricsLogger appended({.path = directory_ / "log.csv", .append = true});
  run(appended, {0.7, 0.6});
  EXPECT_EQ(read_text(directory_ / "log.csv"),
            "epoch,train_loss,val_loss,seconds\n1,1,0.90000000000000002,0.5\n"
            "2,0.5,0.69999999999999996,0.5\n3,0.33333333333333331,0.59999999999999998,0.5\n");

  expect_error<ValueError>([&] { train::MetricsLogger({.path = directory_ / "log.txt"}); },
                           {".csv or .json", "log.txt"});
  expect_error<IOError>(
      [&] {
        train::MetricsLogger bad({.path = "/nonexistent-dir/log.csv"});
        run(bad, {1.0});
      },
      {"MetricsLogger", "/nonexistent-dir/log.csv"});
}

TEST_F(CallbackTest, ProgressBarPlainAndLive) {
  std::ostringstream plain_text;
  train::ProgressBar plain({.stream = &plain_text, .live = train::ProgressBarOptions::Live::never});
  plain.on_epoch_begin(state_);
  train::BatchLogs running;
  running.insert("train_loss", 0.25);
  state_.batch = 1;
  plain.on_batch_end(state_, running);
  run(plain, {0.5});
  EXPECT_EQ(plain_text.str(), "epoch 1/10  train_loss 1.0000  val_loss 0.5000  0.5000 s\n");

  std::ostringstream live_text;
  train::ProgressBar live(
      {.stream = &live_text, .live = train::ProgressBarOptions::Live::always, .width = 8});
  state_.epoch = 0;
  live.on_epoch_begin(state_);
  state_.batch = 2;
  live.on_batch_end(state_, running);
  std::string line = live_text.str();
  EXPECT_EQ(line.rfind("\repoch 1/10 [====>...] 2/4", 0), 0u) << line;
  EXPECT_NE(line.find("batch/s"), std::string::npos);
  EXPECT_NE(line.find("ETA"), std::string::npos);
  EXPECT_NE(line.find("train_loss 0.2500"), std::string::npos);
}

}  // namespace
}  // namespace cajal

// The `cajal` command end to end: every subcommand on small data, and every error path printing
// `error: ...` with exit status 1 (never a crash or a stack trace).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cajal/cajal.h"
#include "cajal/train/checkpoint.h"

namespace cajal {
namespace {

namespace fs = std::filesystem;

struct Result {
  int status = -1;
  std::string out;  // stdout and stderr together
};

std::string read_text(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = fs::temp_directory_path() /
                 ("cajal_cli_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  Result cajal(const std::string& arguments) const {
    std::string command = std::string(CAJAL_BINARY) + " " + arguments + " 2>&1";
    Result result;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
    int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
  }

  // A small classification spec on the committed loans data.
  fs::path write_spec(const std::string& name, const std::string& extra_training = "") const {
    std::string text = R"({
      "name": "cli", "seed": 3,
      "data": {"csv": ")" +
                       std::string(CAJAL_SOURCE_DIR) + R"(/data/loans.csv", "target": "repaid",
               "scale": "standard", "test_fraction": 0.25, "validation_fraction": 0.2},
      "model": [{"type": "dense", "units": 8, "activation": "relu"},
                {"type": "dropout", "p": 0.2}, {"type": "dense", "units": 2}],
      "loss": "cross_entropy",
      "optimizer": {"type": "adam", "lr": 0.01},
      "schedule": {"type": "step", "step_size": 2, "gamma": 0.5},
      "training": {"epochs": 4, "batch_size": 64, "metrics": ["accuracy"])" +
                       extra_training + R"(}
    })";
    fs::path path = directory_ / name;
    std::ofstream(path) << text;
    return path;
  }

  fs::path directory_;
};

TEST_F(CliTest, HelpOnEverySubcommand) {
  for (const char* command :
       {"train", "eval", "predict", "summary", "cv", "search", "bench", "info"}) {
    Result result = cajal(std::string(command) + " --help");
    EXPECT_EQ(result.status, 0) << command;
    EXPECT_NE(result.out.find("Usage"), std::string::npos) << command << ": " << result.out;
  }
  Result none = cajal("");
  EXPECT_NE(none.status, 0);
}

// `cajal bench W --json` prints one line with torch_peer.py's keys, which bench/compare.py reads.
TEST_F(CliTest, BenchPrintsThePeersJsonKeys) {
  Result tiny = cajal("bench tiny --seconds 0.05 --json");
  ASSERT_EQ(tiny.status, 0) << tiny.out;
  EXPECT_NE(tiny.out.find("{\"workload\":\"tiny\",\"steps_per_second\":"), std::string::npos)
      << tiny.out;
  Result unknown = cajal("bench resnet");
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.out.find("resnet"), std::string::npos) << unknown.out;
}

TEST_F(CliTest, TrainWritesCheckpointsMetricsAndReport) {
  fs::path spec = write_spec("spec.json");
  fs::path out = directory_ / "run";
  Result result = cajal("train " + spec.string() + " --out " + out.string() + " --metrics-json " +
                        (directory_ / "metrics.json").string());
  ASSERT_EQ(result.status, 0) << result.out;
  EXPECT_NE(result.out.find("epoch 4/4"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("test accuracy: "), std::string::npos);
  for (const char* file : {"last.safetensors", "best.safetensors", "metrics.csv", "report.html",
                           "loss.png", "confusion.png"}) {
    EXPECT_TRUE(fs::exists(out / file)) << file;
  }
  nlohmann::json metrics = nlohmann::json::parse(read_text(directory_ / "metrics.json"));
  ASSERT_EQ(metrics["epochs"].size(), 4u);
  for (const char* key : {"epoch", "train_loss", "val_loss", "val_accuracy", "seconds"}) {
    EXPECT_TRUE(metrics["epochs"][0].contains(key)) << key;
  }
  EXPECT_TRUE(metrics["test"]["accuracy"].is_number());
  EXPECT_TRUE(metrics["test"]["loss"].is_number());

  Result eval = cajal("eval " + (out / "last.safetensors").string());
  ASSERT_EQ(eval.status, 0) << eval.out;
  EXPECT_NE(eval.out.find("examples: 300"), std::string::npos) << eval.out;
  EXPECT_NE(eval.out.find("confusion matrix"), std::string::npos);

  Result predict = cajal("predict " + (out / "best.safetensors").string() + " " +
                         std::string(CAJAL_SOURCE_DIR) + "/data/loans.csv");
  ASSERT_EQ(predict.status, 0) << predict.out.substr(0, 500);
  EXPECT_NE(predict.out.find("loans.csv:2\t"), std::string::npos);

  Result summary = cajal("summary " + spec.string());
  ASSERT_EQ(summary.status, 0) << summary.out;
  EXPECT_NE(summary.out.find("Total params"), std::string::npos);
}

TEST_F(CliTest, ResumeMatchesAnUninterruptedRunBitForBit) {
  fs::path spec = write_spec("spec.json");
  ASSERT_EQ(
      cajal("train " + spec.string() + " -q --no-report --out " + (directory_ / "full").string())
          .status,
      0);
  ASSERT_EQ(cajal("train " + spec.string() + " -q --no-report --epochs 2 --out " +
                  (directory_ / "part").string())
                .status,
            0);
  Result resumed =
      cajal("train " + spec.string() + " -q --no-report --out " + (directory_ / "part").string() +
            " --resume " + (directory_ / "part" / "last.safetensors").string());
  ASSERT_EQ(resumed.status, 0) << resumed.out;
  train::Checkpoint full = train::load_checkpoint(directory_ / "full" / "last.safetensors");
  train::Checkpoint part = train::load_checkpoint(directory_ / "part" / "last.safetensors");
  EXPECT_EQ(part.info.epoch, 4);
  ASSERT_EQ(full.model.size(), part.model.size());
  for (const auto& [key, tensor] : full.model)
    EXPECT_TRUE(equal(tensor, part.model.at(key))) << key;
  for (const auto& [key, tensor] : full.optimizer) {
    EXPECT_TRUE(equal(tensor, part.optimizer.at(key))) << key;
  }
  // The metrics log holds every epoch once.
  std::string log = read_text(directory_ / "part" / "metrics.csv");
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 5) << log;
}

TEST_F(CliTest, CrossValidationAndSearchPrintTables) {
  fs::path spec = write_spec("spec.json");
  Result cv = cajal("cv " + spec.string() + " --folds 3 --epochs 2 -q");
  ASSERT_EQ(cv.status, 0) << cv.out;
  EXPECT_NE(cv.out.find("mean"), std::string::npos) << cv.out;
  EXPECT_NE(cv.out.find("std"), std::string::npos);
  EXPECT_NE(cv.out.find("val_accuracy"), std::string::npos);

  fs::path grid = directory_ / "grid.json";
  std::ofstream(grid)
      << R"({"grid": {"/optimizer/lr": [0.001, 0.05], "/training/batch_size": [32, 128]},
                            "monitor": "val_accuracy"})";
  Result search = cajal("search " + spec.string() + " --grid " + grid.string() + " --epochs 2 -q");
  ASSERT_EQ(search.status, 0) << search.out;
  EXPECT_NE(search.out.find("rank"), std::string::npos) << search.out;
  EXPECT_NE(search.out.find("/optimizer/lr=0.05"), std::string::npos);
  EXPECT_NE(search.out.find("\n4 "), std::string::npos);  // 4 combinations ranked
}

TEST_F(CliTest, ErrorsPrintOneLineAndExitOne) {
  auto expect_error = [&](const std::string& arguments, const std::string& part) {
    Result result = cajal(arguments);
    EXPECT_EQ(result.status, 1) << arguments << "\n" << result.out;
    EXPECT_EQ(result.out.rfind("error: ", 0), 0u) << arguments << "\n" << result.out;
    EXPECT_NE(result.out.find(part), std::string::npos) << arguments << "\n" << result.out;
  };
  expect_error("train " + (directory_ / "missing.json").string(), "missing.json");
  fs::path bad_json = directory_ / "bad.json";
  std::ofstream(bad_json) << "{\"model\": [\n  {\"type\": \"dense\",, }]}";
  expect_error("train " + bad_json.string(), "line 2");
  fs::path bad_kernel = directory_ / "kernel.json";
  std::ofstream(bad_kernel) << R"({"data": {"dataset": "fashion_mnist"}, "model": [
      {"type": "conv2d", "filters": 4, "kernel": 3}, {"type": "relu"}, {"type": "flatten"},
      {"type": "conv2d", "filters": 4, "kernel": -1}]})";
  expect_error("train " + bad_kernel.string(),
               "/model/3/kernel: expected a positive integer, got -1");
  fs::path unknown = directory_ / "unknown.json";
  std::ofstream(unknown) << R"({"data": {"dataset": "fashion_mnist"}, "modle": []})";
  expect_error("train " + unknown.string(), "modle");
  fs::path corrupt = directory_ / "corrupt.safetensors";
  std::ofstream(corrupt) << "not a checkpoint at all";
  expect_error("eval " + corrupt.string(), "corrupt.safetensors");
  expect_error("predict " + corrupt.string() + " x.png", "corrupt.safetensors");
  fs::path spec = write_spec("spec.json");
  fs::path grid = directory_ / "grid.json";
  std::ofstream(grid) << R"({"grid": {"/optimizer/nope/deeper": [1]}})";
  expect_error("search " + spec.string() + " --grid " + grid.string(), "/optimizer/nope");
  expect_error("train " + spec.string() + " --resume " + corrupt.string(), "corrupt.safetensors");
  // A corrupt CSV (a row with the wrong number of cells) names the file and the line.
  fs::path broken_csv = directory_ / "broken.csv";
  std::ofstream(broken_csv) << "a,b,label\n1,2,x\n3,4\n";
  fs::path csv_spec = directory_ / "csv.json";
  std::ofstream(csv_spec) << R"({"data": {"csv": "broken.csv", "target": "label"},
      "model": [{"type": "dense", "units": 2}]})";
  expect_error("train " + csv_spec.string(), "broken.csv");
  // A network too large to allocate is refused before anything is allocated.
  fs::path huge = directory_ / "huge.json";
  std::ofstream(huge) << R"({"data": {"dataset": "fashion_mnist"}, "model": [{"type": "flatten"},
      {"type": "dense", "units": 2000000000}, {"type": "dense", "units": 10}]})";
  expect_error("train " + huge.string(), "/model/1");
  // Unknown subcommand or bad flag value: CLI11's own message, non-zero.
  EXPECT_NE(cajal("frobnicate").status, 0);
  EXPECT_NE(cajal("train " + spec.string() + " --epochs -3").status, 0);
}

}  // namespace
}  // namespace cajal

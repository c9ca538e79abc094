// The benchmark workloads run as torch_peer.py defines them and report its JSON keys. Only that
// they run and count correctly is tested here; their speed is measured by `make bench`.
#include "cajal/train/workloads.h"

#include <gtest/gtest.h>

#include "cajal/core/error.h"
#include "nlohmann/json.hpp"
#include "support/expect_error.h"

namespace cajal::train {
namespace {

using testing::expect_error;

TEST(Workloads, TinyCountsStepsAndReportsThePeersKeys) {
  WorkloadResult result = run_workload({.workload = "tiny", .seconds = 0.05});
  EXPECT_GT(result.steps_per_second, 0);
  EXPECT_GT(result.peak_resident_bytes, 0);
  nlohmann::json json = nlohmann::json::parse(to_json(result));
  EXPECT_EQ(json["workload"], "tiny");
  EXPECT_DOUBLE_EQ(json["steps_per_second"].get<double>(), result.steps_per_second);
  EXPECT_EQ(json["threads"], 1);
  EXPECT_FALSE(json.contains("seconds_per_epoch"));
}

TEST(Workloads, EpochWorkloadsTrainAndCountTheirFlops) {
  // 2 * multiply-adds * (2 for the first layer, 3 after), per training image.
  const double mlp = 2.0 * (784 * 256 * 2 + 256 * 128 * 3 + 128 * 10 * 3);
  const double cnn =
      2.0 * (28 * 28 * 32 * 9 * 2 + 14 * 14 * 64 * 32 * 9 * 3 + 3136 * 128 * 3 + 128 * 10 * 3);
  for (const auto& [name, per_image] : {std::pair{"mlp", mlp}, std::pair{"cnn", cnn}}) {
    WorkloadResult result = run_workload({.workload = name, .epochs = 2, .limit = 256});
    ASSERT_EQ(result.epochs.size(), 2u) << name;
    EXPECT_DOUBLE_EQ(result.flops_per_epoch, per_image * 256) << name;
    for (const WorkloadEpoch& e : result.epochs) {
      EXPECT_GT(e.seconds, 0);
      EXPECT_GE(e.test_accuracy, 0);
      EXPECT_LE(e.test_accuracy, 1);
    }
    EXPECT_EQ(result.seconds_per_epoch,
              std::min(result.epochs[0].seconds, result.epochs[1].seconds));
    nlohmann::json json = nlohmann::json::parse(to_json(result));
    EXPECT_EQ(json["workload"], name);
    EXPECT_EQ(json["epochs"].size(), 2u);
    EXPECT_TRUE(json.contains("seconds_per_epoch"));
    EXPECT_TRUE(json.contains("gflops"));
  }
  WorkloadResult lstm = run_workload({.workload = "lstm", .limit = 128});
  EXPECT_EQ(lstm.epochs.size(), 1u);
}

TEST(Workloads, BadOptionsAreNamed) {
  expect_error<ValueError>([] { run_workload({.workload = "resnet"}); },
                           {"unknown workload 'resnet'"});
  expect_error<ValueError>([] { run_workload({.workload = "mlp", .threads = 0}); },
                           {"threads must be at least 1, got 0"});
  expect_error<ValueError>([] { run_workload({.workload = "mlp", .epochs = 0}); },
                           {"epochs must be at least 1"});
  expect_error<ValueError>([] { run_workload({.workload = "tiny", .seconds = 0}); },
                           {"seconds must be positive"});
}

}  // namespace
}  // namespace cajal::train

// Evaluation metrics: hand-computed small cases, reference values written out with numpy
// (tools/golden/metrics.py), streaming == one-shot, edge cases and errors.
#include "cajal/train/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cajal/core/creation.h"
#include "cajal/core/random.h"
#include "cajal/ops/arithmetic.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using testing::expect_error;
using train::Average;
using train::ClassificationOptions;

Tensor labels(std::initializer_list<double> values) { return tensor(values, {.dtype = int64}); }

std::vector<double> values_of(const Tensor& t) { return to_vector<double>(t); }

void expect_values(const Tensor& actual, const std::vector<double>& expected, double tol = 1e-15) {
  std::vector<double> got = values_of(actual);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "element " << i;
    } else {
      EXPECT_NEAR(got[i], expected[i], tol) << "element " << i;
    }
  }
}

// Three classes, two samples each:
//   targets   0 0 1 1 2 2
//   predicted 0 1 1 1 0 2
// confusion [[1, 1, 0], [0, 2, 0], [1, 0, 1]]; TP [1, 2, 1], FP [1, 1, 0], FN [1, 0, 1].
Tensor three_class_targets() { return labels({0, 0, 1, 1, 2, 2}); }
Tensor three_class_labels() { return labels({0, 1, 1, 1, 0, 2}); }
Tensor three_class_scores() {  // argmax gives three_class_labels()
  return tensor({{2, 1, 0}, {0, 3, 1}, {-1, 0.5, 0.2}, {0, 1, -1}, {5, 4, 4.5}, {0, 0, 0.1}});
}

TEST(Accuracy, MultiClassFromScoresAndLabels) {
  EXPECT_DOUBLE_EQ(train::accuracy(three_class_scores(), three_class_targets()), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(train::accuracy(three_class_labels(), three_class_targets()), 4.0 / 6.0);
  // float64 scores and probabilities give the same argmax.
  EXPECT_DOUBLE_EQ(
      train::accuracy(three_class_scores().to(float64).softmax(1), three_class_targets()),
      4.0 / 6.0);
}

TEST(Accuracy, ReadsViewsAndTensorsThatRequireGrad) {
  // Scores stored transposed ([C, N] memory viewed as [N, C]) and part of an autograd graph.
  Tensor stored = three_class_scores().t().contiguous();
  Tensor scores = stored.t();
  ASSERT_FALSE(scores.is_contiguous());
  EXPECT_DOUBLE_EQ(train::accuracy(scores, three_class_targets()), 4.0 / 6.0);
  Tensor leaf = three_class_scores().requires_grad_(true);
  EXPECT_DOUBLE_EQ(train::accuracy(leaf * 2.0, three_class_targets()), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(train::r2_score(leaf.sum({1}), leaf.sum({1})), 1.0);
}

TEST(Accuracy, PerfectAndAllWrong) {
  Tensor t = three_class_targets();
  EXPECT_EQ(train::accuracy(t, t), 1.0);
  EXPECT_EQ(train::accuracy(labels({1, 1, 2, 2, 0, 0}), t), 0.0);
}

TEST(Accuracy, TiesPickTheFirstMaximum) {
  Tensor scores = tensor({{1, 1, 0}, {0, 2, 2}});
  EXPECT_EQ(train::accuracy(scores, labels({0, 1})), 1.0);
  EXPECT_EQ(train::accuracy(scores, labels({1, 2})), 0.0);
}

TEST(Accuracy, BinaryLogitsAndProbabilities) {
  // sigmoid(0) = 0.5 is not above the threshold 0.5: negative.
  Tensor logits = tensor({2.0, -1.0, 0.0, 0.3});
  Tensor targets = tensor({1, 0, 1, 0});  // float targets, as binary_cross_entropy takes
  EXPECT_DOUBLE_EQ(train::accuracy(logits, targets), 0.5);
  EXPECT_DOUBLE_EQ(train::accuracy(logits, targets, {.threshold = 0.4}), 0.75);
  // [N, 1] logits with int64 [N] targets.
  EXPECT_DOUBLE_EQ(train::accuracy(logits.reshape({4, 1}), labels({1, 0, 1, 0})), 0.5);
  Tensor probabilities = tensor({0.9, 0.2, 0.5, 0.6});
  EXPECT_DOUBLE_EQ(train::accuracy(probabilities, targets, {.from_logits = false}), 0.5);
  EXPECT_DOUBLE_EQ(
      train::accuracy(probabilities, targets, {.threshold = 0.45, .from_logits = false}), 0.75);
}

TEST(TopKAccuracy, HandComputed) {
  // Ranks of the targets (ties: lower index first): row 0 -> 1, row 1 -> 2, row 2 -> 2.
  Tensor scores = tensor({{0.1, 0.5, 0.4}, {0.3, 0.3, 0.4}, {0.9, 0.05, 0.05}});
  Tensor targets = labels({2, 1, 2});
  EXPECT_EQ(train::top_k_accuracy(scores, targets, 1), 0.0);
  EXPECT_EQ(train::accuracy(scores, targets), 0.0);
  EXPECT_DOUBLE_EQ(train::top_k_accuracy(scores, targets, 2), 1.0 / 3.0);
  EXPECT_EQ(train::top_k_accuracy(scores, targets, 3), 1.0);
}

TEST(TopKAccuracy, OneEqualsAccuracy) {
  manual_seed(3);
  Tensor scores = randn({50, 7});
  Tensor targets = randint(0, 7, {50});
  EXPECT_EQ(train::top_k_accuracy(scores, targets, 1), train::accuracy(scores, targets));
}

TEST(ConfusionMatrix, RowsAreTrueClasses) {
  Tensor expected = tensor({{1, 1, 0}, {0, 2, 0}, {1, 0, 1}}, {.dtype = int64});
  Tensor m = train::confusion_matrix(three_class_scores(), three_class_targets());
  EXPECT_EQ(m.dtype(), int64);
  EXPECT_TRUE(equal(m, expected));
  EXPECT_TRUE(
      equal(train::confusion_matrix(three_class_labels(), three_class_targets()), expected));
  // An explicit class count adds empty rows and columns.
  Tensor wide = train::confusion_matrix(three_class_labels(), three_class_targets(), 4);
  EXPECT_EQ(wide.shape(), (Shape{4, 4}));
  EXPECT_EQ(wide.sum().item<int64_t>(), 6);
  EXPECT_EQ(wide.at<int64_t>({2, 0}), 1);
  EXPECT_EQ(wide.at<int64_t>({3, 3}), 0);
  // Binary logits: 2 x 2.
  Tensor binary = train::confusion_matrix(tensor({2.0, -1.0, 0.0, 0.3}), labels({1, 0, 1, 0}));
  EXPECT_TRUE(equal(binary, tensor({{1, 1}, {1, 1}}, {.dtype = int64})));
}

TEST(ClassScores, HandComputedPerClassAndAverages) {
  Tensor p = three_class_scores();
  Tensor t = three_class_targets();
  expect_values(train::precision_per_class(p, t), {1.0 / 2, 2.0 / 3, 1.0});
  expect_values(train::recall_per_class(p, t), {1.0 / 2, 1.0, 1.0 / 2});
  expect_values(train::f1_score_per_class(p, t), {2.0 / 4, 4.0 / 5, 2.0 / 3});
  EXPECT_DOUBLE_EQ(train::precision(p, t, Average::macro), 13.0 / 18.0);
  EXPECT_DOUBLE_EQ(train::recall(p, t, Average::macro), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(train::f1_score(p, t, Average::macro), 59.0 / 90.0);
  // Single-label micro averages equal accuracy.
  for (auto fn : {train::precision, train::recall, train::f1_score}) {
    EXPECT_DOUBLE_EQ(fn(p, t, Average::micro, {}), 4.0 / 6.0);
  }
}

TEST(ClassScores, WeightedUsesSupport) {
  // targets 0 0 0 1, predicted 0 0 1 1: class 0 P 1, R 2/3; class 1 P 1/2, R 1. Support 3 and 1.
  Tensor p = labels({0, 0, 1, 1});
  Tensor t = labels({0, 0, 0, 1});
  EXPECT_DOUBLE_EQ(train::precision(p, t, Average::weighted), (3 * 1.0 + 1 * 0.5) / 4);
  EXPECT_DOUBLE_EQ(train::recall(p, t, Average::weighted), (3 * 2.0 / 3 + 1 * 1.0) / 4);
  EXPECT_DOUBLE_EQ(train::f1_score(p, t, Average::weighted), (3 * 0.8 + 1 * 2.0 / 3) / 4);
  // Average::binary: the positive class 1.
  EXPECT_DOUBLE_EQ(train::precision(p, t, Average::binary), 0.5);
  EXPECT_DOUBLE_EQ(train::recall(p, t, Average::binary), 1.0);
  EXPECT_DOUBLE_EQ(train::f1_score(p, t, Average::binary), 2.0 / 3.0);
  // Labels that never reach class 1: the positive class is empty, so zero_division.
  EXPECT_EQ(train::precision(labels({0, 0}), labels({0, 0}), Average::binary), 0.0);
  EXPECT_EQ(train::recall(labels({0, 0}), labels({0, 0}), Average::binary, {.zero_division = 1}),
            1.0);
}

TEST(ClassScores, ZeroDivision) {
  // Class 3 is neither predicted nor present: its precision, recall and F1 are zero_division.
  Tensor p = three_class_labels();
  Tensor t = three_class_targets();
  double nan = std::nan("");
  expect_values(train::precision_per_class(p, t, {.num_classes = 4}), {0.5, 2.0 / 3, 1, 0});
  expect_values(train::recall_per_class(p, t, {.num_classes = 4, .zero_division = 1}),
                {0.5, 1, 0.5, 1});
  expect_values(train::f1_score_per_class(p, t, {.num_classes = 4, .zero_division = nan}),
                {0.5, 0.8, 2.0 / 3, nan});
  EXPECT_DOUBLE_EQ(train::precision(p, t, Average::macro, {.num_classes = 4}),
                   (0.5 + 2.0 / 3 + 1) / 4);
  EXPECT_DOUBLE_EQ(train::precision(p, t, Average::macro, {.num_classes = 4, .zero_division = 1}),
                   (0.5 + 2.0 / 3 + 1 + 1) / 4);
  // NaN classes are left out of the average.
  EXPECT_DOUBLE_EQ(train::precision(p, t, Average::macro, {.num_classes = 4, .zero_division = nan}),
                   13.0 / 18.0);
  // A class predicted but never present: recall undefined, precision 0, F1 0 (2TP+FP+FN > 0).
  Tensor p2 = labels({0, 2});
  Tensor t2 = labels({0, 0});
  expect_values(train::precision_per_class(p2, t2), {1, 0, 0});
  expect_values(train::recall_per_class(p2, t2), {0.5, 0, 0});
  expect_values(train::recall_per_class(p2, t2, {.zero_division = 1}), {0.5, 1, 1});
  expect_values(train::f1_score_per_class(p2, t2, {.zero_division = 1}), {2.0 / 3, 1, 0});
}

TEST(ClassScores, PerfectAndAllWrong) {
  Tensor t = three_class_targets();
  for (auto average : {Average::macro, Average::micro, Average::weighted}) {
    EXPECT_EQ(train::f1_score(t, t, average), 1.0);
    EXPECT_EQ(train::precision(labels({1, 1, 2, 2, 0, 0}), t, average), 0.0);
    EXPECT_EQ(train::recall(labels({1, 1, 2, 2, 0, 0}), t, average), 0.0);
  }
}

TEST(Regression, HandComputed) {
  Tensor p = tensor({1, 2, 3, 4});
  Tensor t = tensor({1, 3, 2, 6});
  EXPECT_DOUBLE_EQ(train::mean_squared_error(p, t), 1.5);
  EXPECT_DOUBLE_EQ(train::mean_absolute_error(p, t), 1.0);
  EXPECT_DOUBLE_EQ(train::root_mean_squared_error(p, t), std::sqrt(1.5));
  EXPECT_DOUBLE_EQ(train::r2_score(p, t), 1.0 - 6.0 / 14.0);
  // [N, 1] predictions pair with [N] targets.
  EXPECT_DOUBLE_EQ(train::r2_score(p.reshape({4, 1}), t), 1.0 - 6.0 / 14.0);
  // Perfect predictions.
  EXPECT_EQ(train::mean_squared_error(t, t), 0.0);
  EXPECT_EQ(train::r2_score(t, t), 1.0);
  // Worse than the mean: negative R^2.
  EXPECT_LT(train::r2_score(tensor({6, 2, 3, 1}), t), 0.0);
}

TEST(Regression, MultiOutputR2AveragesColumns) {
  Tensor t = tensor({{1, 10}, {2, 20}, {3, 30}}, {.dtype = float64});
  Tensor p = tensor({{1, 12}, {2, 18}, {4, 30}}, {.dtype = float64});
  // Column 0: SS_res 1, SS_tot 2 -> 0.5; column 1: SS_res 8, SS_tot 200 -> 0.96.
  EXPECT_DOUBLE_EQ(train::r2_score(p, t), (0.5 + 0.96) / 2);
  EXPECT_DOUBLE_EQ(train::root_mean_squared_error(p, t), std::sqrt(9.0 / 6.0));
}

TEST(Regression, ConstantTargetFollowsSklearn) {
  // 0.1 is not exact in binary; Welford's update keeps SS_tot exactly 0 for a constant column.
  Tensor t = tensor({0.1, 0.1, 0.1}, {.dtype = float64});
  EXPECT_EQ(train::r2_score(t, t), 1.0);
  EXPECT_EQ(train::r2_score(tensor({0.1, 0.1, 0.2}, {.dtype = float64}), t), 0.0);
  // Fewer than two samples: NaN, as sklearn.
  EXPECT_TRUE(std::isnan(train::r2_score(tensor({1.0}), tensor({2.0}))));
}

// ---- Reference values (numpy, tools/golden/metrics.py) ------------------------------------------

Tensor parse_tensor(const nlohmann::json& j) {
  Shape shape = j.at("shape").get<Shape>();
  std::string dtype = j.at("dtype").get<std::string>();
  std::vector<double> data = j.at("data").get<std::vector<double>>();
  Tensor t = from_vector(data, shape);
  if (dtype == "int64") return t.to(int64);
  if (dtype == "float32") return t.to(float32);
  return t;
}

nlohmann::json load_cases() {
  // tests/golden/metrics.json, found from this file's path (the build compiles it by full path).
  std::filesystem::path path =
      std::filesystem::path(__FILE__).parent_path().parent_path() / "golden" / "metrics.json";
  std::ifstream in(path);
  if (!in) ADD_FAILURE() << "cannot open tests/golden/metrics.json";
  return nlohmann::json::parse(in);
}

TEST(MetricsGolden, MatchesNumpyReference) {
  constexpr double kRtol = 1e-12;
  nlohmann::json root = load_cases();
  ASSERT_EQ(root.at("cases").size(), 5u);
  for (const auto& c : root.at("cases")) {
    std::string name = c.at("name");
    SCOPED_TRACE(name);
    Tensor p = parse_tensor(c.at("predictions"));
    Tensor t = parse_tensor(c.at("targets"));
    const auto& expected = c.at("expected");
    auto near = [&](double actual, const std::string& key) {
      double want = expected.at(key).get<double>();
      EXPECT_NEAR(actual, want, kRtol * std::max(1.0, std::abs(want))) << key;
    };
    if (name.starts_with("regression")) {
      near(train::mean_squared_error(p, t), "mse");
      near(train::mean_absolute_error(p, t), "mae");
      near(train::root_mean_squared_error(p, t), "rmse");
      near(train::r2_score(p, t), "r2");
      continue;
    }
    ClassificationOptions options;
    if (c.at("params").contains("threshold")) {
      options.threshold = c.at("params").at("threshold");
      options.from_logits = c.at("params").at("from_logits");
    }
    near(train::accuracy(p, t, options), "accuracy");
    std::vector<std::vector<int64_t>> matrix = expected.at("confusion_matrix");
    Tensor m = train::confusion_matrix(p, t, options);
    ASSERT_EQ(m.size(0), static_cast<int64_t>(matrix.size()));
    for (size_t i = 0; i < matrix.size(); ++i) {
      for (size_t j = 0; j < matrix.size(); ++j) {
        EXPECT_EQ(m.at<int64_t>({static_cast<int64_t>(i), static_cast<int64_t>(j)}), matrix[i][j]);
      }
    }
    expect_values(train::precision_per_class(p, t, options),
                  expected.at("precision_per_class").get<std::vector<double>>(), 1e-15);
    expect_values(train::recall_per_class(p, t, options),
                  expected.at("recall_per_class").get<std::vector<double>>(), 1e-15);
    expect_values(train::f1_score_per_class(p, t, options),
                  expected.at("f1_per_class").get<std::vector<double>>(), 1e-15);
    std::vector<std::pair<std::string, Average>> averages = {
        {"macro", Average::macro}, {"micro", Average::micro}, {"weighted", Average::weighted}};
    if (expected.contains("f1_binary")) averages.emplace_back("binary", Average::binary);
    for (const auto& [suffix, average] : averages) {
      near(train::precision(p, t, average, options), "precision_" + suffix);
      near(train::recall(p, t, average, options), "recall_" + suffix);
      near(train::f1_score(p, t, average, options), "f1_" + suffix);
    }
    if (expected.contains("top2_accuracy")) {
      near(train::top_k_accuracy(p, t, 2), "top2_accuracy");
      near(train::top_k_accuracy(p, t, 3), "top3_accuracy");
    }
  }
}

// ---- Streaming ----------------------------------------------------------------------------------

// Feeds the data in uneven batches (one of them empty) and returns compute().
double streamed(train::Metric& metric, const Tensor& predictions, const Tensor& targets) {
  metric.reset();
  int64_t n = predictions.size(0);
  std::vector<int64_t> cuts = {0, 7, 7, 20, n / 2 + 3, n};
  for (size_t b = 0; b + 1 < cuts.size(); ++b) {
    int64_t start = cuts[b];
    int64_t length = cuts[b + 1] - start;
    metric.update(predictions.narrow(0, start, length), targets.narrow(0, start, length));
  }
  return metric.compute();
}

TEST(MetricStreaming, EqualsOneShotForEveryName) {
  manual_seed(11);
  Tensor scores = randn({90, 6});
  // Class 5 never occurs as a target: empty classes take part in the macro averages.
  Tensor class_targets = randint(0, 5, {90});
  Tensor binary_logits = randn({90});
  Tensor binary_targets = randint(0, 2, {90});
  Tensor values = randn({90, 2}, {.dtype = float64});
  Tensor value_targets = values * 0.5 + randn({90, 2}, {.dtype = float64});

  for (const std::string& name : train::metric_names()) {
    if (name == "top_k_accuracy:K" || name == "topK_accuracy") continue;
    SCOPED_TRACE(name);
    bool regression = name == "mse" || name == "mae" || name == "rmse" || name == "r2";
    bool binary = name.ends_with("_binary");
    const Tensor& p = regression ? values : binary ? binary_logits : scores;
    const Tensor& t = regression ? value_targets : binary ? binary_targets : class_targets;
    std::unique_ptr<train::Metric> metric = train::make_metric(name);
    EXPECT_EQ(metric->name(), name);
    std::unique_ptr<train::Metric> one_shot = train::make_metric(name);
    one_shot->update(p, t);
    // The same sums in the same order: equal, not merely close.
    EXPECT_EQ(streamed(*metric, p, t), one_shot->compute());
    // reset() forgets everything.
    EXPECT_EQ(streamed(*metric, p, t), one_shot->compute());
  }
  for (std::string name : {"top_k_accuracy:3", "top2_accuracy"}) {
    auto metric = train::make_metric(name);
    int64_t k = name == "top2_accuracy" ? 2 : 3;
    EXPECT_EQ(streamed(*metric, scores, class_targets),
              train::top_k_accuracy(scores, class_targets, k));
  }
  // The one-shot functions agree with the registry's metrics.
  EXPECT_EQ(streamed(*train::make_metric("f1_macro"), scores, class_targets),
            train::f1_score(scores, class_targets, Average::macro));
  EXPECT_EQ(streamed(*train::make_metric("r2"), values, value_targets),
            train::r2_score(values, value_targets));
}

TEST(MetricStreaming, R2UsesSumsNotBatchAverages) {
  // The batches alone score 0.5 (predictions [1, 2], targets [1, 3]) and 0.375 ([3, 4] vs
  // [2, 6]); neither they nor their mean is the whole's 1 - 6/14.
  train::R2Score r2;
  r2.update(tensor({1, 2}), tensor({1, 3}));
  r2.update(tensor({3, 4}), tensor({2, 6}));
  EXPECT_DOUBLE_EQ(r2.compute(), 1.0 - 6.0 / 14.0);
  train::MeanSquaredError mse;
  mse.update(tensor({1}), tensor({1}));
  mse.update(tensor({2, 3, 4}), tensor({3, 2, 6}));
  EXPECT_DOUBLE_EQ(mse.compute(), 1.5);
}

TEST(MetricStreaming, ConfusionMatrixGrowsWithLabels) {
  train::ConfusionMatrix matrix;
  matrix.update(labels({0, 1}), labels({0, 0}));
  EXPECT_EQ(matrix.num_classes(), 2);
  matrix.update(labels({1, 1, 0, 2}), labels({1, 1, 2, 2}));
  EXPECT_TRUE(equal(matrix.compute(),
                    train::confusion_matrix(three_class_labels(), three_class_targets())));
  matrix.reset();
  EXPECT_EQ(matrix.total(), 0);
  EXPECT_EQ(matrix.num_classes(), 0);
}

TEST(MetricRegistry, NamesAndDirections) {
  EXPECT_EQ(train::make_metric("top_k_accuracy:5")->name(), "top5_accuracy");
  EXPECT_EQ(train::make_metric("top5_accuracy")->name(), "top5_accuracy");
  EXPECT_TRUE(train::make_metric("accuracy")->higher_is_better());
  EXPECT_TRUE(train::make_metric("r2")->higher_is_better());
  EXPECT_FALSE(train::make_metric("mse")->higher_is_better());
  EXPECT_FALSE(train::make_metric("rmse")->higher_is_better());
}

// ---- Errors -------------------------------------------------------------------------------------

TEST(MetricErrors, Shapes) {
  expect_error<ShapeError>(
      [] {
        train::accuracy(zeros({4, 3}), labels({0, 1, 2, 0, 1}));
      },
      {"accuracy", "[4, 3]", "[5]"});
  expect_error<ShapeError>(
      [] {
        train::accuracy(zeros({2, 3, 4}), labels({0, 1}));
      },
      {"accuracy", "[2, 3, 4]"});
  expect_error<ShapeError>(
      [] {
        train::f1_score(zeros({2, 3}), labels({0, 1}), Average::macro, {.num_classes = 4});
      },
      {"f1_macro", "[2, 3]", "num_classes is 4"});
  expect_error<ShapeError>(
      [] {
        train::top_k_accuracy(labels({0, 1}), labels({0, 1}), 1);
      },
      {"top_k_accuracy", "[2]", "int64"});
  expect_error<ShapeError>([] { train::mean_squared_error(zeros({4}), zeros({5})); },
                           {"mse", "[4]", "[5]"});
  expect_error<ShapeError>(
      [] {
        train::r2_score(zeros({4, 2}), zeros({4}));
      },
      {"r2", "[4, 2]", "[4]"});
  train::Accuracy accuracy;
  accuracy.update(zeros({2, 3}), labels({0, 1}));
  train::F1Score f1;
  f1.update(zeros({2, 3}), labels({0, 1}));
  expect_error<ShapeError>(
      [&] {
        f1.update(zeros({2, 4}), labels({0, 1}));
      },
      {"f1_macro", "[2, 4]", "4 classes", "earlier batches had 3"});
  train::MeanAbsoluteError mae;
  mae.update(zeros({3, 2}), zeros({3, 2}));
  expect_error<ShapeError>(
      [&] {
        mae.update(zeros({3, 3}), zeros({3, 3}));
      },
      {"mae", "[3, 3]", "earlier batches had 2"});
}

TEST(MetricErrors, ClassIndices) {
  expect_error<IndexError>(
      [] {
        train::accuracy(zeros({2, 3}), labels({0, 3}));
      },
      {"accuracy", "target class index 3", "[0, 3)"});
  expect_error<IndexError>(
      [] {
        train::accuracy(labels({0, -1}), labels({0, 1}));
      },
      {"accuracy", "predicted class index -1"});
  expect_error<IndexError>(
      [] {
        train::confusion_matrix(labels({0, 4}), labels({0, 1}), 4);
      },
      {"confusion_matrix", "predicted class index 4", "[0, 4)"});
  expect_error<IndexError>(
      [] {
        train::accuracy(zeros({2}), labels({0, 2}));
      },
      {"accuracy", "target class index 2", "[0, 2)"});
  expect_error<IndexError>(
      [] {
        train::top_k_accuracy(zeros({2, 3}), labels({5, 0}), 2);
      },
      {"top_k_accuracy", "target class index 5"});
  train::Recall recall(Average::macro, {.num_classes = 3});
  expect_error<IndexError>(
      [&] {
        recall.update(labels({0, 3}), labels({0, 1}));
      },
      {"recall_macro", "class index 3"});
}

TEST(MetricErrors, Values) {
  expect_error<ValueError>(
      [] {
        train::accuracy(zeros({2, 3}), tensor({0, 1}));
      },
      {"accuracy", "integer class indices", "float32"});
  expect_error<ValueError>(
      [] {
        train::accuracy(zeros({2}), tensor({0, 0.7}));
      },
      {"accuracy", "0 or 1", "0.7"});
  expect_error<ValueError>(
      [] {
        train::accuracy(zeros({2}), labels({0, 1}), {.threshold = 1.5});
      },
      {"accuracy", "threshold", "1.5"});
  expect_error<ValueError>([] { train::Precision(Average::macro, {.zero_division = 0.5}); },
                           {"precision_macro", "zero_division", "0.5"});
  expect_error<ValueError>([] { train::Accuracy({.num_classes = -2}); },
                           {"accuracy", "num_classes", "-2"});
  expect_error<ValueError>(
      [] {
        train::top_k_accuracy(zeros({2, 3}), labels({0, 1}), 0);
      },
      {"top_k_accuracy", "k must be >= 1", "0"});
  expect_error<ValueError>(
      [] {
        train::top_k_accuracy(zeros({2, 3}), labels({0, 1}), 5);
      },
      {"top_k_accuracy", "k 5", "3"});
  expect_error<ValueError>(
      [] {
        train::precision(zeros({2, 3}), labels({0, 1}), Average::binary);
      },
      {"precision_binary", "2 classes", "got 3"});
  expect_error<ValueError>([] { train::accuracy(Tensor(), labels({0})); },
                           {"accuracy", "undefined"});
}

TEST(MetricErrors, ComputeWithoutSamples) {
  for (std::string name :
       {"accuracy", "top5_accuracy", "f1_macro", "precision_micro", "mse", "r2"}) {
    auto metric = train::make_metric(name);
    expect_error<ValueError>([&] { metric->compute(); }, {name, "no samples"});
  }
  expect_error<ValueError>(
      [] {
        train::accuracy(zeros({0, 3}), zeros({0}, {.dtype = int64}));
      },
      {"accuracy", "no samples"});
}

TEST(MetricErrors, UnknownNames) {
  expect_error<ValueError>([] { train::make_metric("f1_score"); },
                           {"make_metric", "\"f1_score\"", "accuracy", "top_k_accuracy:K",
                            "f1_macro", "recall_weighted", "rmse", "r2"});
  expect_error<ValueError>([] { train::make_metric("top_k_accuracy:x"); },
                           {"make_metric", "top_k_accuracy:x", "positive integer"});
  expect_error<ValueError>([] { train::make_metric("top_k_accuracy:0"); }, "positive integer");
  expect_error<ValueError>([] { train::make_metric("top0_accuracy"); }, "unknown metric");
}

}  // namespace
}  // namespace cajal

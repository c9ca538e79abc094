#pragma once
// Evaluation metrics: one-shot functions on (predictions, targets) and streaming accumulators
// (`Metric`) that the trainer updates batch by batch. A streaming metric computes exactly what the
// one-shot function computes on the concatenated batches: it accumulates counts and sums, never
// per-batch averages.
//
//   double acc = train::accuracy(logits, labels);            // logits [N, C], labels [N] int64
//   auto f1 = train::make_metric("f1_macro");
//   for (auto& batch : loader) f1->update(model(batch.input), batch.target);
//   double value = f1->compute();
//
// Classification predictions come in three forms, told apart by shape and dtype:
//   - scores [N, C], floating point (logits or probabilities): the predicted class is the argmax
//     (the first maximum on ties; NaN counts as the largest value, as in torch.argmax);
//   - binary scores [N] or [N, 1], floating point: class 1 when sigmoid(x) > threshold
//     (from_logits) or x > threshold (probabilities), else class 0; there are 2 classes;
//   - predicted labels [N], integer dtype (int64, uint8 or bool).
// Targets are class indices [N] (or [N, 1] for binary scores), integer dtype; binary targets may
// also be floating point holding exactly 0 or 1, as binary_cross_entropy's targets do.
// Errors: ShapeError naming the metric and both shapes; IndexError for a class index outside
// [0, num_classes); ValueError for a bad option or for compute() before any sample.
//
// Regression predictions and targets are floating-point tensors of the same shape ([N] and [N, 1]
// also pair up); [N, D] holds D outputs.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cajal/core/tensor.h"

namespace cajal::train {

struct ClassificationOptions {
  // The number of classes. 0: taken from the scores' C (2 for binary scores) or, for predicted
  // labels, as 1 + the largest label seen in predictions or targets (sklearn's union of labels).
  int64_t num_classes = 0;
  // Binary scores only: the probability above which a sample is predicted positive.
  double threshold = 0.5;
  // Binary scores only: true when they are logits (sigmoid is applied before the threshold).
  bool from_logits = true;
  // Precision/recall/F1 of a class whose denominator is zero (no predictions of it for precision,
  // no samples of it for recall, neither for F1): 0, 1 or NaN, as sklearn's zero_division. NaN
  // classes are left out of macro and weighted averages (sklearn >= 1.3).
  double zero_division = 0.0;
};

// How per-class precision/recall/F1 become one number (sklearn's `average`).
enum class Average {
  binary,    // the positive class (1) of a 2-class problem
  micro,     // from the summed counts; for single-label data all three equal accuracy
  macro,     // the unweighted mean over classes 0..C-1
  weighted,  // the mean over classes weighted by their number of true samples (support)
};

// ---- One-shot functions -------------------------------------------------------------------------

// The fraction of samples whose predicted class equals the target.
double accuracy(const Tensor& predictions, const Tensor& targets,
                const ClassificationOptions& options = {});

// The fraction of samples whose target is among the k highest scores. scores: [N, C] floating
// point, targets: [N]; requires 1 <= k <= C. Ties rank the lower class index first, so k = 1
// agrees with accuracy().
double top_k_accuracy(const Tensor& scores, const Tensor& targets, int64_t k);

// int64 [C, C]: entry (i, j) counts samples of true class i predicted as class j (sklearn's
// layout: rows are true classes, columns predicted classes).
Tensor confusion_matrix(const Tensor& predictions, const Tensor& targets,
                        const ClassificationOptions& options = {});
Tensor confusion_matrix(const Tensor& predictions, const Tensor& targets, int64_t num_classes);

// Per class, float64 [C]: precision = TP / (TP + FP), recall = TP / (TP + FN),
// F1 = 2 TP / (2 TP + FP + FN) (sklearn >= 1.3's formula, defined whenever either precision or
// recall is). A zero denominator gives options.zero_division.
Tensor precision_per_class(const Tensor& predictions, const Tensor& targets,
                           const ClassificationOptions& options = {});
Tensor recall_per_class(const Tensor& predictions, const Tensor& targets,
                        const ClassificationOptions& options = {});
Tensor f1_score_per_class(const Tensor& predictions, const Tensor& targets,
                          const ClassificationOptions& options = {});

// Averaged as `average` says. Average::binary requires exactly 2 classes.
double precision(const Tensor& predictions, const Tensor& targets, Average average,
                 const ClassificationOptions& options = {});
double recall(const Tensor& predictions, const Tensor& targets, Average average,
              const ClassificationOptions& options = {});
double f1_score(const Tensor& predictions, const Tensor& targets, Average average,
                const ClassificationOptions& options = {});

// Regression, over all elements: mean((p - t)^2), mean(|p - t|), sqrt(mean((p - t)^2)). For D
// outputs the RMSE is the root of the overall MSE (Keras), not the mean of per-output RMSEs.
double mean_squared_error(const Tensor& predictions, const Tensor& targets);
double mean_absolute_error(const Tensor& predictions, const Tensor& targets);
double root_mean_squared_error(const Tensor& predictions, const Tensor& targets);
// The coefficient of determination R^2 = 1 - SS_res / SS_tot per output column, averaged over
// columns (sklearn's multioutput="uniform_average"). A constant target column (SS_tot = 0) scores
// 1 when predicted exactly and 0 otherwise (sklearn's force_finite); fewer than 2 samples give
// NaN (sklearn does the same). May be negative: a model worse than predicting the mean.
double r2_score(const Tensor& predictions, const Tensor& targets);

// ---- Streaming accumulators ---------------------------------------------------------------------

// A metric accumulated over batches. update() validates and adds one batch; compute() gives the
// value over every sample since construction or the last reset(), and throws ValueError when
// there is none. Predictions are read, never differentiated (no graph is recorded).
class Metric {
 public:
  virtual ~Metric() = default;
  // The name make_metric() accepts for this metric, e.g. "f1_macro", "top_k_accuracy:5".
  virtual std::string name() const = 0;
  virtual void reset() = 0;
  virtual void update(const Tensor& predictions, const Tensor& targets) = 0;
  virtual double compute() const = 0;
  // Whether larger values are better (early stopping and checkpointing choose min or max by it).
  virtual bool higher_is_better() const = 0;
};

// The confusion matrix accumulated over batches; the basis of the precision/recall/F1 metrics.
// With num_classes = 0 it grows as larger labels appear, so the streaming result equals the
// one-shot one.
class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(ClassificationOptions options = {},
                           std::string metric = "confusion_matrix");
  void reset();
  void update(const Tensor& predictions, const Tensor& targets);
  int64_t num_classes() const { return num_classes_; }
  // Requires 0 <= true_class, predicted_class < num_classes() (not checked: a hot accessor).
  int64_t count(int64_t true_class, int64_t predicted_class) const {
    return counts_[static_cast<size_t>(true_class * num_classes_ + predicted_class)];
  }
  int64_t total() const { return total_; }
  Tensor compute() const;  // int64 [C, C]
  const ClassificationOptions& options() const { return options_; }

 private:
  void grow(int64_t num_classes);

  ClassificationOptions options_;
  std::string metric_;
  int64_t num_classes_ = 0;
  bool fixed_ =
      false;  // the class count is known (an option or scores seen): labels may not grow it
  int64_t total_ = 0;
  std::vector<int64_t> counts_;  // row-major [num_classes_, num_classes_]
};

class Accuracy : public Metric {
 public:
  explicit Accuracy(ClassificationOptions options = {});
  std::string name() const override { return "accuracy"; }
  void reset() override;
  void update(const Tensor& predictions, const Tensor& targets) override;
  double compute() const override;
  bool higher_is_better() const override { return true; }

 private:
  ClassificationOptions options_;
  int64_t correct_ = 0;
  int64_t total_ = 0;
};

class TopKAccuracy : public Metric {
 public:
  explicit TopKAccuracy(int64_t k);  // ValueError unless k >= 1
  std::string name() const override;
  void reset() override;
  void update(const Tensor& scores, const Tensor& targets) override;
  double compute() const override;
  bool higher_is_better() const override { return true; }

 private:
  int64_t k_;
  int64_t correct_ = 0;
  int64_t total_ = 0;
};

// Precision, recall or F1 from an accumulated confusion matrix.
class ClassScore : public Metric {
 public:
  enum class Kind { precision, recall, f1 };
  ClassScore(Kind kind, Average average, ClassificationOptions options = {});
  std::string name() const override;
  void reset() override { matrix_.reset(); }
  void update(const Tensor& predictions, const Tensor& targets) override;
  double compute() const override;
  bool higher_is_better() const override { return true; }

 private:
  Kind kind_;
  Average average_;
  ConfusionMatrix matrix_;
};

class Precision : public ClassScore {
 public:
  explicit Precision(Average average = Average::macro, ClassificationOptions options = {})
      : ClassScore(Kind::precision, average, options) {}
};
class Recall : public ClassScore {
 public:
  explicit Recall(Average average = Average::macro, ClassificationOptions options = {})
      : ClassScore(Kind::recall, average, options) {}
};
class F1Score : public ClassScore {
 public:
  explicit F1Score(Average average = Average::macro, ClassificationOptions options = {})
      : ClassScore(Kind::f1, average, options) {}
};

// MSE, MAE, RMSE and R^2 from running sums: the squared and absolute errors, and per output
// column the count, mean and sum of squared deviations of the targets (Welford's update, so a
// constant column has SS_tot exactly 0).
class RegressionMetric : public Metric {
 public:
  enum class Kind { mse, mae, rmse, r2 };
  explicit RegressionMetric(Kind kind);
  std::string name() const override;
  void reset() override;
  void update(const Tensor& predictions, const Tensor& targets) override;
  double compute() const override;
  bool higher_is_better() const override { return kind_ == Kind::r2; }

 private:
  Kind kind_;
  int64_t elements_ = 0;
  int64_t rows_ = 0;
  double squared_error_ = 0;
  double absolute_error_ = 0;
  std::vector<double> column_mean_;
  std::vector<double> column_deviations_;  // sum of (t - mean)^2
  std::vector<double> column_residuals_;   // sum of (t - p)^2
};

class MeanSquaredError : public RegressionMetric {
 public:
  MeanSquaredError() : RegressionMetric(Kind::mse) {}
};
class MeanAbsoluteError : public RegressionMetric {
 public:
  MeanAbsoluteError() : RegressionMetric(Kind::mae) {}
};
class RootMeanSquaredError : public RegressionMetric {
 public:
  RootMeanSquaredError() : RegressionMetric(Kind::rmse) {}
};
class R2Score : public RegressionMetric {
 public:
  R2Score() : RegressionMetric(Kind::r2) {}
};

// ---- Registry -----------------------------------------------------------------------------------

// A metric by name: "accuracy", "top_k_accuracy:K" (or "topK_accuracy", e.g. "top5_accuracy"),
// "{precision,recall,f1}_{macro,micro,weighted,binary}", "mse", "mae", "rmse", "r2". Unknown
// names throw ValueError listing the valid ones.
std::unique_ptr<Metric> make_metric(const std::string& name);
// The names make_metric accepts ("top_k_accuracy:K" stands for every K).
std::vector<std::string> metric_names();

}  // namespace cajal::train
